"""engine.ops.image_quality and image_more: total_variation, psnr, ssim, sobel_edges,
image_gradients, extract_patches, crop_and_resize and non-maximum suppression, against NumPy
references (and TensorFlow's values where noted), with gradients and error messages."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(9)
IMG = engine.image


def test_total_variation_and_image_gradients():
    x = R.standard_normal((2, 4, 5, 3))
    check_op(IMG.total_variation, lambda a: np.abs(np.diff(a, axis=1)).sum((1, 2, 3))
             + np.abs(np.diff(a, axis=2)).sum((1, 2, 3)), [x])
    assert float(IMG.total_variation(engine.reshape(engine.range(12.0), [2, 3, 2]))) == 52.0

    def grads_ref(a):
        dy, dx = np.zeros_like(a), np.zeros_like(a)
        dy[:, :-1], dx[:, :, :-1] = np.diff(a, axis=1), np.diff(a, axis=2)
        return dy, dx

    check_op(IMG.image_gradients, grads_ref, [x])


def test_psnr_matches_formula_and_tensorflow():
    a, b = R.uniform(size=(2, 6, 6, 3)), R.uniform(size=(2, 6, 6, 3))
    check_op(lambda u, v: IMG.psnr(u, v, 1.0),
             lambda u, v: 10 * np.log10(1.0 / np.mean((u - v) ** 2, axis=(1, 2, 3))), [a, b])
    u8 = (a * 255).astype(np.uint8), (b * 255).astype(np.uint8)
    ref = 10 * np.log10(255.0 ** 2 / np.mean((u8[0] / 1.0 - u8[1]) ** 2, axis=(1, 2, 3)))
    out = IMG.psnr(*u8, max_val=255)
    assert out.dtype == engine.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5)


def _ssim_ref(x, y, size, sigma=1.5, max_val=1.0):
    coords = np.arange(size) - (size - 1) / 2
    g = np.exp(-coords ** 2 / (2 * sigma ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()

    def blur(t):  # VALID correlation over height and width
        h, wd = t.shape[1] - size + 1, t.shape[2] - size + 1
        return sum(w[i, j] * t[:, i:i + h, j:j + wd] for i in range(size) for j in range(size))

    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    ssim = (2 * mx * my + c1) * (2 * sxy + c2) / ((mx ** 2 + my ** 2 + c1) * (sxx + syy + c2))
    return ssim.mean(axis=(1, 2, 3))


def test_ssim_matches_reference_and_tensorflow():
    a = R.uniform(size=(2, 9, 10, 2))
    b = np.clip(a + R.normal(0, 0.1, a.shape), 0, 1)
    check_op(lambda u, v: IMG.ssim(u, v, 1.0, filter_size=5),
             lambda u, v: _ssim_ref(u, v, 5), [a, b], grad_rtol=1e-5)
    rng = np.random.default_rng(0)  # TensorFlow 2.21 gave [0.946316, 0.947279] here
    x = rng.uniform(size=(2, 16, 16, 3)).astype(np.float32)
    y = np.clip(x + rng.normal(0, .1, x.shape), 0, 1).astype(np.float32)
    np.testing.assert_allclose(IMG.ssim(x, y, 1.0, filter_size=7).numpy(), [0.946316, 0.947279],
                               rtol=1e-5)
    with pytest.raises(ShapeError, match="ssim: got images of shape"):
        IMG.ssim(engine.zeros([1, 4, 4, 1]), engine.zeros([1, 4, 4, 1]), 1.0)


def test_ssim_multiscale_of_identical_images_is_one():
    x = R.uniform(size=(1, 24, 24, 1))
    out = IMG.ssim_multiscale(x, x, 1.0, power_factors=(0.5, 0.5), filter_size=5)
    np.testing.assert_allclose(out.numpy(), [1.0])
    y = np.clip(x + 0.1, 0, 1)
    assert float(IMG.ssim_multiscale(x, y, 1.0, (0.5, 0.5), filter_size=5)[0]) < 1.0


def test_sobel_edges():
    x = R.standard_normal((1, 5, 6, 2))

    def ref(a):
        p = np.pad(a, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
        ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
        out = np.zeros(a.shape + (2,))
        for i in range(3):
            for j in range(3):
                window = p[:, i:i + a.shape[1], j:j + a.shape[2]]
                out[..., 0] += ky[i, j] * window
                out[..., 1] += ky.T[i, j] * window
        return out

    check_op(IMG.sobel_edges, ref, [x])


def _patches_ref(x, k, s, r, padding):
    n, h, w, c = x.shape
    span = [(kk - 1) * rr + 1 for kk, rr in zip(k, r)]
    if padding == "SAME":
        outs = [-(-h // s[0]), -(-w // s[1])]
        pads = [max((o - 1) * ss + sp - size, 0) for o, ss, sp, size in
                zip(outs, s, span, (h, w))]
        x = np.pad(x, [(0, 0), (pads[0] // 2, pads[0] - pads[0] // 2),
                       (pads[1] // 2, pads[1] - pads[1] // 2), (0, 0)])
    else:
        outs = [(h - span[0]) // s[0] + 1, (w - span[1]) // s[1] + 1]
    out = np.zeros((n, outs[0], outs[1], k[0] * k[1] * c))
    for i in range(outs[0]):
        for j in range(outs[1]):
            patch = x[:, i * s[0]:i * s[0] + span[0]:r[0], j * s[1]:j * s[1] + span[1]:r[1]]
            out[:, i, j] = patch.reshape(n, -1)
    return out


@pytest.mark.parametrize("k, s, r, padding", [
    ((3, 3), (2, 2), (1, 1), "SAME"), ((2, 3), (1, 2), (2, 1), "VALID"),
    ((2, 2), (3, 3), (1, 1), "SAME")])
def test_extract_patches(k, s, r, padding):
    x = R.standard_normal((2, 7, 6, 2))
    check_op(lambda t: IMG.extract_patches(t, [1, *k, 1], [1, *s, 1], [1, *r, 1], padding),
             lambda t: _patches_ref(t, k, s, r, padding), [x])


def _crop_ref(image, boxes, ind, size, extrapolation=0.0):
    _, h, w, c = image.shape
    out = np.zeros((len(boxes), *size, c))
    for n, (y1, x1, y2, x2) in enumerate(boxes):
        for i in range(size[0]):
            yy = (y1 + i * (y2 - y1) / (size[0] - 1)) * (h - 1) if size[0] > 1 \
                else 0.5 * (y1 + y2) * (h - 1)
            for j in range(size[1]):
                xx = (x1 + j * (x2 - x1) / (size[1] - 1)) * (w - 1) if size[1] > 1 \
                    else 0.5 * (x1 + x2) * (w - 1)
                if not (0 <= yy <= h - 1 and 0 <= xx <= w - 1):
                    out[n, i, j] = extrapolation
                    continue
                t, le = int(np.floor(yy)), int(np.floor(xx))
                b, ri = min(t + 1, h - 1), min(le + 1, w - 1)
                fy, fx = yy - t, xx - le
                img = image[ind[n]]
                top = img[t, le] + (img[t, ri] - img[t, le]) * fx
                bottom = img[b, le] + (img[b, ri] - img[b, le]) * fx
                out[n, i, j] = top + (bottom - top) * fy
    return out


def test_crop_and_resize_forward_and_gradients():
    image = R.standard_normal((2, 5, 6, 2))
    boxes = np.array([[0.1, 0.2, 0.9, 0.7], [-0.3, 0.0, 1.2, 1.0], [0.8, 0.9, 0.2, 0.1]])
    ind = np.array([0, 1, 1])
    check_op(lambda im, bx: IMG.crop_and_resize(im, bx, ind, [3, 4], extrapolation_value=-1.0),
             lambda im, bx: _crop_ref(im, bx, ind, (3, 4), -1.0), [image, boxes], grad=False)
    check_grad(lambda im, bx: IMG.crop_and_resize(im, bx, ind, [3, 4]),
               [image, np.array([[0.13, 0.22, 0.81, 0.71], [0.1, 0.05, 0.93, 0.9],
                                 [0.77, 0.88, 0.21, 0.12]])])
    tf_values = [[3.8, 5.8], [11.8, 13.8], [19.8, 21.8]]  # TensorFlow 2.21's crop
    img = engine.reshape(engine.range(1.0, 26.0), [1, 5, 5, 1])
    out = IMG.crop_and_resize(img, [[0.1, 0.2, 0.9, 0.7]], [0], [3, 2])
    np.testing.assert_allclose(out[0, :, :, 0].numpy(), tf_values, rtol=1e-5)
    near = IMG.crop_and_resize(img, [[0.1, 0.2, 0.9, 0.7]], [0], [3, 2], method="nearest")
    assert near[0, :, :, 0].numpy().tolist() == [[2, 4], [12, 14], [22, 24]]
    with pytest.raises(ShapeError, match="crop_and_resize: got boxes of shape"):
        IMG.crop_and_resize(img, [[0.0, 0.0, 1.0]], [0], [2, 2])


BOXES = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1],
         [0, 100, 1, 101]]
SCORES = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3]


def test_non_max_suppression_matches_tensorflow():
    assert IMG.non_max_suppression(BOXES, SCORES, 3, 0.5).numpy().tolist() == [3, 0, 5]
    out = IMG.non_max_suppression(BOXES, SCORES, 10, 0.5, score_threshold=0.4)
    assert out.numpy().tolist() == [3, 0]
    idx, scores = IMG.non_max_suppression_with_scores(BOXES, SCORES, 3, 0.5, soft_nms_sigma=0.5)
    assert idx.numpy().tolist() == [3, 0, 1]
    np.testing.assert_allclose(scores.numpy(), [0.95, 0.9, 0.384004], rtol=1e-5)
    idx, valid = IMG.non_max_suppression_padded(BOXES, SCORES, 5, 0.5, pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [3, 0, 5, 0, 0] and int(valid) == 3


def test_non_max_suppression_errors():
    with pytest.raises(ShapeError, match="non_max_suppression: got boxes of shape"):
        IMG.non_max_suppression([[0.0, 0.0, 1.0]], [1.0], 1)
    with pytest.raises(ShapeError, match="expected one score per box"):
        IMG.non_max_suppression(BOXES, [1.0], 1)
    with pytest.raises(ShapeError, match="iou_threshold=1.5"):
        IMG.non_max_suppression(BOXES, SCORES, 1, 1.5)
