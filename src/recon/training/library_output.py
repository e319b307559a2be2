"""Where the training libraries' own output goes: transformers', TRL's, PEFT's, accelerate's and datasets' log
records and Python warnings (FutureWarnings included) are written to `train.log` in the output folder, with
timestamps, instead of the terminal; their progress bars are off. recon's step bar stays the only thing drawn,
and each of TRL's logs (loss, reward, learning rate, eval loss) is a line of `train.log` too.

    >>> import logging, warnings
    >>> log = Path(getfixture("tmp_path")) / "train.log"
    >>> with library_output_to(log):
    ...     logging.getLogger("transformers.trainer").warning("a trainer note")
    ...     warnings.warn("an old argument", FutureWarning)
    >>> text = log.read_text()
    >>> "a trainer note" in text and "FutureWarning: an old argument" in text
    True
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TRAIN_LOG = "train.log"
LIBRARIES = ("transformers", "trl", "peft", "accelerate", "datasets", "torch", "py.warnings", "recon.training")


@contextmanager
def library_output_to(path: Path) -> Iterator[Path]:
    """Route the libraries' log records and warnings into `path` (appended) inside the block; restored after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in LIBRARIES]
    saved = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.handlers, lg.propagate = [handler], False
        lg.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            yield path
    finally:
        logging.captureWarnings(False)
        for lg, handlers, propagate, level in saved:
            lg.handlers, lg.propagate = handlers, propagate
            lg.setLevel(level)
        handler.close()
