"""`engine.version`: the engine's version strings (TensorFlow's `tf.version`).

Example:
    >>> engine.version.VERSION == engine.__version__
    True
"""

VERSION = "0.1.0"
GIT_VERSION = "unknown"
COMPILER_VERSION = "python"
GRAPH_DEF_VERSION = 1
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0
