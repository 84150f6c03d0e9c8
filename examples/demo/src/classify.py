"""Image classification with a uint8 model."""

import numpy as np
import tensorflow as tf

classifier = tf.saved_model.load("examples/demo/models/image_classifier")
classify = classifier.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]

# Mistake: float64 pixels in [0, 1) are cast to uint8 silently: every pixel becomes 0.
images = np.random.rand(4, 8, 8, 3)
scores = classify(image=images)

# Mistake: the output is called probabilities.
print(scores["predictions"])

# Mistake: an image without its batch dimension.
one = tf.zeros((8, 8, 3), dtype=tf.uint8)
classify(image=one)

# Correct.
pixels = (np.random.rand(4, 8, 8, 3) * 255).astype(np.uint8)
print(classify(image=pixels)["probabilities"])
