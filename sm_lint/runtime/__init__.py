"""Runtime checking: explain a bad signature call before TensorFlow fails on it.

    from sm_lint.runtime import guard, install
    loaded = guard(tf.saved_model.load("models/dense"))   # one model
    install()                                             # everything loaded from now on
    save_observations()    # what they saw, for the static side (.sm-lint/observed.json)

TensorFlow is imported only when install() is called or a tensor is described.
"""

from sm_lint.runtime.guard import (
    RECORDER,
    Recorder,
    SignatureCallError,
    SignatureCallWarning,
    TensorFlowMissing,
    describe_value,
    guard,
    install,
    save_observations,
    uninstall,
)

__all__ = [
    "RECORDER",
    "Recorder",
    "SignatureCallError",
    "SignatureCallWarning",
    "TensorFlowMissing",
    "describe_value",
    "guard",
    "install",
    "save_observations",
    "uninstall",
]
