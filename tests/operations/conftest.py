"""The returns tests' round of the every-type questionnaire, for counting autosaves."""

from tests.returns.conftest import nspcc_return  # noqa: F401
