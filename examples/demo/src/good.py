"""Calls that are all correct: sm-lint reports nothing here."""

import numpy as np
import tensorflow as tf

dense = tf.saved_model.load("examples/demo/models/dense")
infer = dense.signatures["serving_default"]

# numpy arrays of another numeric dtype are cast by TensorFlow without loss of meaning.
print(infer(keras_tensor=np.random.rand(64, 5))["output_0"])
print(infer(keras_tensor=tf.random.normal((8, 5)))["output_0"])
print(infer(keras_tensor=[[1, 2, 3, 4, 5]])["output_0"])
