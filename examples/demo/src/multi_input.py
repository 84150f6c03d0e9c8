"""Scoring with the two-input model (the seed article's example 2)."""

import os

import numpy as np
import tensorflow as tf

MODEL_DIR = os.path.join(os.path.dirname(__file__), "..", "models", "two_inputs")


class Scorer:
    def __init__(self) -> None:
        self.model = tf.saved_model.load(MODEL_DIR)
        self.score_fn = self.model.signatures["serving_default"]

    def score(self) -> None:
        features = np.random.rand(32, 10).astype(np.float32)
        extra = np.random.rand(32, 5).astype(np.float32)
        # Mistake: the inputs are named after the Keras Input layers, a and b.
        self.score_fn(input_a=features, b=extra)
        # Mistake: the last dimension of a is 10, not 12.
        self.score_fn(a=tf.zeros((32, 12)), b=tf.constant(extra))
        # Correct.
        result = self.score_fn(a=features, b=extra)
        print(result["output_0"])


if __name__ == "__main__":
    Scorer().score()
