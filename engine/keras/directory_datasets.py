"""Datasets of files in class folders, for text and image files.

`text_dataset_from_directory` and `image_dataset_from_directory` are Keras 2's
`tf.keras.utils` loaders.

A directory such as

    main/
      neg/  a.txt  b.txt
      pos/  c.txt

gives `(text, label)` batches with labels 0 (neg) and 1 (pos): class names are the
subfolders, sorted. Files are listed once (recursively, sorted), shuffled with `seed`,
then split by `validation_split` (the last fraction is the validation subset, so the same
seed gives disjoint subsets); the contents are read lazily, batch by batch.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["text_dataset_from_directory", "image_dataset_from_directory", "index_directory"]

_LABEL_MODES = ("int", "categorical", "binary", None)
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _files_under(folder: str, extensions, follow_links: bool) -> list:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files)
                  if f.lower().endswith(extensions)]
    return found


def index_directory(directory, labels, extensions, class_names=None, follow_links=False):
    """Lists the files of `directory` with their labels.

    Args:
        directory: the main folder.
        labels: "inferred" (from class subfolders), None, or a list of labels, one per
            file in sorted order.
        extensions: the file name endings to keep, e.g. (".txt",).
        class_names: the subfolders to use, in label order (default: all, sorted).
        follow_links: follow symbolic links to folders.

    Returns:
        `(paths, labels, class_names)`: lists (labels None when `labels` is None).

    Raises:
        ValueError: for a missing folder, unknown class names or a wrong number of labels.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> for name in ("b/1.txt", "a/2.txt"):
        ...     os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        ...     open(os.path.join(root, name), "w").close()
        >>> paths, labels, names = engine.keras.directory_datasets.index_directory(
        ...     root, "inferred", (".txt",))
        >>> labels, names
        ([0, 1], ['a', 'b'])
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"dataset_from_directory: {directory!r} is not a folder; pass the "
                         "folder that holds one subfolder per class.")
    if labels != "inferred":
        paths = _files_under(directory, extensions, follow_links)
        if labels is not None and len(labels) != len(paths):
            raise ValueError(f"dataset_from_directory: got {len(labels)} labels for "
                             f"{len(paths)} files in {directory}; give one label per file "
                             "(files in sorted order).")
        return paths, (list(labels) if labels is not None else None), class_names
    subfolders = sorted(d for d in os.listdir(directory)
                        if os.path.isdir(os.path.join(directory, d)))
    if class_names is not None:
        if sorted(class_names) != subfolders:
            raise ValueError(f"dataset_from_directory: class_names={list(class_names)} "
                             f"must be the subfolders of {directory}: {subfolders}.")
        subfolders = list(class_names)
    paths, found = [], []
    for label, name in enumerate(subfolders):
        files = _files_under(os.path.join(directory, name), extensions, follow_links)
        paths += files
        found += [label] * len(files)
    return paths, found, subfolders


def _check_args(label_mode, validation_split, subset, shuffle, seed, labels):
    if label_mode not in _LABEL_MODES:
        raise ValueError(f"dataset_from_directory: label_mode={label_mode!r}; expected "
                         "'int', 'categorical', 'binary' or None.")
    if labels is None and label_mode is not None:
        raise ValueError("dataset_from_directory: labels=None needs label_mode=None.")
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"dataset_from_directory: validation_split={validation_split!r}; "
                         "expected a fraction between 0 and 1.")
    if (validation_split is None) != (subset is None):
        raise ValueError("dataset_from_directory: give validation_split and subset "
                         "('training', 'validation' or 'both') together, or neither.")
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"dataset_from_directory: subset={subset!r}; expected "
                         "'training', 'validation' or 'both'.")
    if validation_split is not None and shuffle and seed is None:
        raise ValueError("dataset_from_directory: with validation_split and shuffle=True, "
                         "pass a seed, so that the training and validation subsets are "
                         "drawn from the same shuffle and do not overlap.")


def _subsets(paths, labels, validation_split, subset, shuffle, seed) -> list:
    paths = np.asarray(paths, dtype=object)
    labels = None if labels is None else np.asarray(labels, dtype="int32")
    if shuffle:
        order = np.random.RandomState(seed if seed is not None else
                                      np.random.randint(1e6)).permutation(len(paths))
        paths = paths[order]
        labels = None if labels is None else labels[order]
    if subset is None:
        return [(paths, labels)]
    cut = len(paths) - int(validation_split * len(paths))
    parts = {"training": (paths[:cut], None if labels is None else labels[:cut]),
             "validation": (paths[cut:], None if labels is None else labels[cut:])}
    names = ["training", "validation"] if subset == "both" else [subset]
    for name in names:
        print(f"Using {len(parts[name][0])} files for {name}.")
    return [parts[name] for name in names]


def _encode_labels(labels, label_mode, num_classes: int):
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    return np.eye(num_classes, dtype="float32")[labels].reshape(len(labels), num_classes)


def build_datasets(paths, labels, class_names, read, options: dict):
    """The dataset (or training and validation datasets) of files read by `read(path)`.

    Args:
        paths: the files, as from `index_directory`.
        labels: their labels (or None).
        class_names: the class names.
        read: an engine function from a scalar string path tensor to the element.
        options: label_mode, batch_size, shuffle, seed, validation_split, subset.

    Returns:
        A `Dataset`, or a list of two for `subset="both"`; each has `class_names`.

    Example:
        >>> ds = engine.keras.directory_datasets.build_datasets(
        ...     ["a", "b"], [0, 1], ["x", "y"], lambda p: p,
        ...     dict(label_mode="int", batch_size=2, shuffle=False, seed=None,
        ...          validation_split=None, subset=None))
        >>> [t.numpy().tolist() for t in next(iter(ds))]
        [[b'a', b'b'], [0, 1]]
    """
    from engine import data  # noqa: PLC0415 - data sits beside keras

    label_mode, batch_size = options["label_mode"], options["batch_size"]
    num_classes = len(class_names or ()) or (int(max(labels)) + 1 if labels else 0)
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(f"dataset_from_directory: label_mode='binary' needs 2 classes; "
                         f"found {num_classes} ({class_names}). Use 'categorical' or 'int'.")
    results = []
    for part_paths, part_labels in _subsets(paths, labels, options["validation_split"],
                                            options["subset"], options["shuffle"],
                                            options["seed"]):
        names = np.asarray([str(p) for p in part_paths], dtype=object)
        dataset = data.Dataset.from_tensor_slices(names).map(read)
        if label_mode is not None:
            encoded = _encode_labels(part_labels, label_mode, num_classes)
            dataset = data.Dataset.zip((dataset, data.Dataset.from_tensor_slices(encoded)))
        if options["shuffle"]:
            dataset = dataset.shuffle((batch_size or 1) * 8, seed=options["seed"])
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        dataset.class_names = class_names
        dataset.file_paths = [str(p) for p in part_paths]
        results.append(dataset)
    return results if len(results) > 1 else results[0]


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False):
    """A dataset of `(texts, labels)` batches from `.txt` files in class subfolders.

    Args:
        directory: the folder with one subfolder per class (or the files themselves
            when `labels` is not "inferred").
        labels: "inferred", None (texts only), or a list of int labels per sorted file.
        label_mode: "int" (int32), "categorical" (one-hot float32), "binary" (float32
            `(batch, 1)`, for two classes) or None.
        class_names: the class subfolders, in label order (default: sorted).
        batch_size: texts per batch (None: unbatched elements).
        max_length: keep at most this many bytes of each text.
        shuffle: shuffle the files (and the batches' order).
        seed: the shuffle seed (required with `validation_split`).
        validation_split: the fraction of files held out for validation.
        subset: "training", "validation" or "both" (a list of two datasets).
        follow_links: follow symbolic links to folders.

    Returns:
        An `engine.data.Dataset` (with `class_names`), or two for `subset="both"`.

    Raises:
        ValueError: for bad arguments (the message says which and why).

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> for name, text in (("neg/a.txt", "bad"), ("pos/b.txt", "good")):
        ...     os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        ...     with open(os.path.join(root, name), "w") as f:
        ...         _ = f.write(text)
        >>> ds = engine.keras.utils.text_dataset_from_directory(root, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> texts, labels = next(iter(ds))
        >>> texts.numpy().tolist(), labels.numpy().tolist(), ds.class_names
        ([b'bad', b'good'], [0, 1], ['neg', 'pos'])
    """
    from engine import io as _io  # noqa: PLC0415
    from engine import strings  # noqa: PLC0415

    _check_args(label_mode, validation_split, subset, shuffle, seed, labels)
    paths, found, names = index_directory(directory, labels, (".txt",), class_names,
                                          follow_links)
    _report(paths, names)

    def read(path):
        text = _io.read_file(path)
        return text if max_length is None else strings.substr(text, 0, int(max_length))

    options = dict(label_mode=label_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                   validation_split=validation_split, subset=subset)
    return build_datasets(paths, found, names, read, options)


def _report(paths, names) -> None:
    classes = f" belonging to {len(names)} classes" if names else ""
    print(f"Found {len(paths)} files{classes}.")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False):
    """A dataset of `(images, labels)` batches from image files in class subfolders.

    Images (bmp, gif, jpeg, png) are decoded with Pillow (required), converted to
    `color_mode` and resized to `image_size`, as float32 `(batch, height, width, channels)`
    with values 0..255.

    Args:
        directory: the folder with one subfolder per class.
        labels: "inferred", None (images only), or a list of int labels per sorted file.
        label_mode: "int", "categorical", "binary" or None (see
            `text_dataset_from_directory`).
        class_names: the class subfolders, in label order (default: sorted).
        color_mode: "grayscale", "rgb" or "rgba".
        batch_size: images per batch (None: unbatched).
        image_size: `(height, width)` to resize to.
        shuffle: shuffle the files.
        seed: the shuffle seed (required with `validation_split`).
        validation_split: the fraction held out for validation.
        subset: "training", "validation" or "both".
        interpolation: the resizing method ("bilinear", "nearest", "bicubic", ...).
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: crop the middle to the target aspect ratio before resizing.

    Returns:
        An `engine.data.Dataset` (with `class_names`), or two for `subset="both"`.

    Raises:
        ImportError: without Pillow.
        ValueError: for bad arguments.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(root, "cat"))
        >>> engine.keras.utils.save_img(os.path.join(root, "cat", "1.png"),
        ...                             np.zeros((5, 5, 3)))  # doctest: +SKIP
        >>> ds = engine.keras.utils.image_dataset_from_directory(
        ...     root, image_size=(2, 2), batch_size=1)  # doctest: +SKIP
        Found 1 files belonging to 1 classes.
        >>> next(iter(ds))[0].shape  # doctest: +SKIP
        TensorShape([1, 2, 2, 3])
    """
    from engine import numpy_function  # noqa: PLC0415
    from engine.keras import image_io  # noqa: PLC0415

    image_io.pil_image("image_dataset_from_directory")
    if color_mode not in _CHANNELS:
        raise ValueError(f"image_dataset_from_directory: color_mode={color_mode!r}; expected "
                         f"one of {list(_CHANNELS)}.")
    _check_args(label_mode, validation_split, subset, shuffle, seed, labels)
    paths, found, names = index_directory(directory, labels, IMAGE_EXTENSIONS, class_names,
                                          follow_links)
    _report(paths, names)
    height, width = int(image_size[0]), int(image_size[1])
    shape = (height, width, _CHANNELS[color_mode])

    def decode(path):
        path = path.decode() if isinstance(path, bytes) else str(path)
        image = image_io.load_img(path, color_mode=color_mode, target_size=(height, width),
                                  interpolation=interpolation,
                                  keep_aspect_ratio=crop_to_aspect_ratio)
        return image_io.img_to_array(image, "channels_last", "float32").reshape(shape)

    def read(path):
        from engine import dtypes, ensure_shape  # noqa: PLC0415

        return ensure_shape(numpy_function(decode, [path], dtypes.float32), shape)

    options = dict(label_mode=label_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                   validation_split=validation_split, subset=subset)
    return build_datasets(paths, found, names, read, options)
