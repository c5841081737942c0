"""The named errors of the assistant; each message says what to do next."""

from __future__ import annotations


class RagError(Exception):
    """Base class: every error the assistant raises on purpose."""


class EmptyQuestionError(RagError, ValueError):
    """The question is empty or only whitespace."""


class QuestionTooLongError(RagError, ValueError):
    """The question is longer than the limit (a pasted document, not a question)."""


class EmptyCorpusError(RagError, ValueError):
    """No readable document was found in the given paths."""


class IndexNotFoundError(RagError, FileNotFoundError):
    """No index at the given directory."""


class IndexDamagedError(RagError):
    """An index file is missing, truncated or altered."""


class IndexMismatchError(RagError):
    """The index was built by another model, format or chunking."""


class ModelUnavailableError(RagError):
    """The embedding model cannot be built or loaded offline."""


class DuplicateSourceError(RagError, ValueError):
    """Two documents given at once share one source name."""


class IndexWriteError(RagError):
    """The index directory cannot be written (permissions, a read-only or full disk)."""


class LLMError(RagError):
    """The configured LLM server could not give an answer (the extractive answer is used instead)."""


class LLMConnectionError(LLMError, ConnectionError):
    """Nothing answers at the LLM server's address."""


class LLMTimeoutError(LLMError, TimeoutError):
    """The LLM server did not answer, or did not finish, within the configured time."""


class LLMResponseError(LLMError):
    """The LLM server answered with an error status or with something that is not a chat completion."""


class SettingError(RagError, ValueError):
    """A setting (an environment variable or an argument) holds a value it cannot take."""
