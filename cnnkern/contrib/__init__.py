"""Drop-in backends that run NumPy deep-learning frameworks on cnnkern.

Each submodule imports its framework only when it is imported itself:

* ``cnnkern.contrib.mygrad``   -- ``install()`` / ``uninstall()`` MyGrad's conv_nd and max_pool on cnnkern
  (``pip install "cnnkern[mygrad]"``).
* ``cnnkern.contrib.autograd`` -- autograd primitives ``conv{1,2,3}d``, ``max_pool{1,2,3}d``,
  ``avg_pool{1,2,3}d`` with VJPs of every order (``pip install "cnnkern[autograd]"``).
* ``cnnkern.contrib.cs231n``   -- ``conv_forward_fast`` & co. with the CS231n assignment's layouts
  (NumPy only).

This package itself imports nothing.
"""
__all__ = ["mygrad", "autograd", "cs231n"]
