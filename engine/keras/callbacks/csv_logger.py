"""`CSVLogger`: one CSV row of results per epoch."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable

from engine.keras.callbacks.base import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file.

    The columns are `epoch` (0-based) and the first epoch's log keys, sorted; if that
    epoch has no `val_*` keys, a `val_` column is added for each key (validation that
    runs only every few epochs fills them later). Values missing in an epoch are written
    as `NA`; keys that first appear after the header are not recorded. With
    `append=True`, rows continue an existing file under its own header.

    Each epoch's row (with the header, for the first) is written in one call to a file
    opened and closed for that epoch, so the file is complete after every epoch, even if
    training is interrupted.

    Args:
        filename: the CSV file's path.
        separator: the string between columns.
        append: add to an existing file instead of overwriting it.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> callbacks = engine.keras.callbacks.CallbackList(
        ...     [engine.keras.callbacks.CSVLogger(path)])
        >>> callbacks.on_train_begin()
        >>> for epoch, loss in enumerate([0.5, 0.25]):
        ...     callbacks.on_epoch_end(epoch, {"loss": loss, "val_loss": loss + 0.1})
        >>> callbacks.on_train_end()
        >>> print(open(path).read(), end="")
        epoch,loss,val_loss
        0,0.5,0.6
        1,0.25,0.35
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        """Starts the file (empty, unless appending) and picks up an existing header."""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as file:
                header = file.readline().rstrip("\r\n")
            self._write_header = not header
            if header:
                self.keys = next(csv.reader([header], delimiter=self.sep))[1:]
        else:
            directory = os.path.dirname(os.path.abspath(self.filename))
            if not os.path.isdir(directory):
                raise FileNotFoundError(f"CSVLogger: the directory of {self.filename!r} "
                                        "does not exist; create it first.")
            open(self.filename, "w").close()
            self._write_header = True

    def on_epoch_end(self, epoch, logs=None):
        """Appends the epoch's row (after the header, for the first row)."""
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        text = io.StringIO()
        writer = csv.writer(text, delimiter=self.sep, lineterminator="\n")
        if self._write_header:
            writer.writerow(["epoch", *self.keys])
        writer.writerow([epoch, *(_cell(logs.get(key, "NA")) for key in self.keys)])
        with open(self.filename, "a", newline="") as file:
            file.write(text.getvalue())
        self._write_header = False

    def on_train_end(self, logs=None):
        """Lets the next `fit` start its own file (or, appending, reread the header)."""
        self._write_header = True
        self.keys = None


def _cell(value):
    """A value as written: numbers and strings as they are, sequences as `[a, b]`."""
    if isinstance(value, (str, int, float)) or getattr(value, "ndim", None) == 0:
        return value
    if isinstance(value, Iterable):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return value
