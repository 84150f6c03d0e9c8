"""Batch prediction with the dense model (the seed article's example 1)."""

from pathlib import Path

import numpy as np
import tensorflow as tf

MODELS = Path(__file__).parent.parent / "models"

loaded = tf.saved_model.load(str(MODELS / "dense"))
infer = loaded.signatures["serving_default"]

# Mistake: np.random.rand is float64, and TensorFlow never casts a tensor for a signature.
batch = np.random.rand(64, 5)
predictions = infer(keras_tensor=tf.constant(batch))

# Mistake: a positional argument; it binds only because the model has one input.
more = infer(tf.constant(batch, dtype=tf.float32))

# Correct: any batch size fits the free batch dimension (the article says otherwise).
single = infer(keras_tensor=tf.constant(np.random.rand(1, 5), dtype=tf.float32))
print(single["output_0"].shape)
