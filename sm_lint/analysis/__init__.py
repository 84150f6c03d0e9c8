"""Static analysis of Python source: find signature calls and what is passed to them."""
