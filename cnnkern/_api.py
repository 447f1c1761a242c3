"""Public per-dimension functions (conv2d_forward, max_pool3d_backward, ...) made from one template.

A template takes the number of spatial dims `d` as its first argument; bind_ndim fixes it and gives
the result its public name, a docstring with "{d}" filled in, and the template's signature minus `d`.
The public function is real Python code with that signature (written out and compiled here, as
dataclasses does), so inspect.signature, help() and stub generators see the real parameters, a call
costs one extra frame, and a wrong call raises Python's own TypeError naming the public function.
"""
import inspect

_EMPTY = inspect.Parameter.empty


def _source(name, params):
    """`def name(<params>): return _template(_d, <params forwarded>)` with defaults read from a dict."""
    decl, call = [], []
    star_done = False
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            decl.append(f"*{p.name}")
            call.append(f"*{p.name}")
            star_done = True
            continue
        if p.kind is p.VAR_KEYWORD:
            decl.append(f"**{p.name}")
            call.append(f"**{p.name}")
            continue
        if p.kind is p.KEYWORD_ONLY and not star_done:
            decl.append("*")
            star_done = True
        default = "" if p.default is _EMPTY else f"=_defaults[{p.name!r}]"
        decl.append(f"{p.name}{default}")
        call.append(f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name)
    return f"def {name}({', '.join(decl)}):\n    return _template(_d, {', '.join(call)})\n"


def bind_ndim(template, d, name, module):
    params = list(inspect.signature(template).parameters.values())[1:]
    namespace = {"_template": template, "_d": d,
                 "_defaults": {p.name: p.default for p in params if p.default is not _EMPTY}}
    exec(compile(_source(name, params), f"<cnnkern {module}.{name}>", "exec"), namespace)
    public = namespace[name]
    public.__qualname__ = name
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
