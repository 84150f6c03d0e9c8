"""Runtime checking: explain a bad signature call before TensorFlow fails on it.

    from sm_lint.runtime import guard, install
    loaded = guard(tf.saved_model.load("models/dense"))   # one model
    install()                                             # everything loaded from now on

TensorFlow is imported only when install() is called or a tensor is described.
"""

from sm_lint.runtime.guard import (
    RECORDER,
    Recorder,
    SignatureCallError,
    SignatureCallWarning,
    describe_value,
    guard,
    install,
    uninstall,
)

__all__ = [
    "RECORDER",
    "Recorder",
    "SignatureCallError",
    "SignatureCallWarning",
    "describe_value",
    "guard",
    "install",
    "uninstall",
]
