"""`engine.keras.models`: `Model`, `Sequential`, and model cloning and (de)serialization."""

from engine.keras.models.functional import Functional  # noqa: F401
from engine.keras.models.model import Model  # noqa: F401
from engine.keras.models.saving import clone_model, model_from_json  # noqa: F401
from engine.keras.models.sequential import Sequential  # noqa: F401
