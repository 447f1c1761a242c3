"""Public per-dimension functions (conv2d_forward, max_pool3d_backward, ...) made from one template.

A template takes the number of spatial dims `d` as its first argument; bind_ndim fixes it and gives
the result its public name, a docstring with "{d}" filled in, and the template's signature minus `d`
(so help() and inspect.signature show the real parameters).
"""
import inspect


def bind_ndim(template, d, name, module):
    def public(*args, **kwargs):
        return template(d, *args, **kwargs)

    sig = inspect.signature(template)
    public.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
    public.__name__ = public.__qualname__ = name
    public.__module__ = module
    public.__doc__ = (template.__doc__ or "").replace("{d}", str(d))
    return public


def export_per_ndim(namespace, templates, module, dims=(1, 2, 3)):
    """Define every name pattern ("max_pool{d}d_forward") of `templates` for each d in `namespace`;
    returns the public names in order."""
    names = []
    for d in dims:
        for pattern, template in templates.items():
            name = pattern.format(d=d)
            namespace[name] = bind_ndim(template, d, name, module)
            names.append(name)
    return names
