"""A minimal relying party whose routes mirror Auth.js, so the same page objects drive a real Auth.js app."""

from sample_app.app import create_app
from sample_app.config import SampleAppConfig

__all__ = ["SampleAppConfig", "create_app"]
