"""Asking TF Serving for predictions of the two-input model over REST.

Served with ``tensorflow_model_server --rest_api_port=8501 --model_name=two_inputs
--model_base_path=/models/two_inputs``: its signature is the SavedModel's (a: float32
(?, 10), b: float32 (?, 5)).
"""

import json

import numpy as np
import requests

SERVER = "http://localhost:8501"
URL = f"{SERVER}/v1/models/two_inputs:predict"

features = np.random.rand(10).tolist()
extra = np.random.rand(5).tolist()

# Mistake: a plain list of rows is for one-input models; this one has two inputs.
requests.post(URL, json={"instances": [features]})
# Mistake: the second input is called b.
requests.post(URL, data=json.dumps({"instances": [{"a": features, "B": extra}]}))
# Mistake: b has 5 values per instance.
requests.post(URL, json={"inputs": {"a": [features], "b": [features]}})
# Correct: one object per instance, keyed by the input names.
response = requests.post(URL, json={"instances": [{"a": features, "b": extra}]})
print(response.json()["predictions"])
