"""The studies of the report, callable one by one: ``ibias.study.ex2({"n_alphas": 9})`` returns the measured
results (a dict) with the section's title and answers. The list of studies comes from the library's registry."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Union

from . import _config_toml, _ibias, _progress


class StudyResult(dict):  # type: ignore[type-arg]
    """A study's measured results (a dict), with ``title`` and ``answers`` (the generated sentences)."""

    title: str
    answers: List[str]


def run(key: str, config: Optional[Dict[str, Any]] = None, *, progress: Union[bool, Callable[[str, int, int], None], None] = None) -> StudyResult:
    """Runs study ``key`` with the fields of ``config`` overriding its defaults."""
    toml = _config_toml({key: config}) if config else None
    results, title, answers = _ibias.run_study(key, config_toml=toml, progress=_progress(progress))
    out = StudyResult(results)
    out.title = title
    out.answers = list(answers)
    return out


def keys() -> List[str]:
    """The registered studies, in report order."""
    return list(_ibias.study_keys())


def default_config(key: str) -> str:
    """A study's default configuration as TOML text."""
    return str(_ibias.default_config(key))


def _study(key: str, about: str) -> Callable[..., StudyResult]:
    def study(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
        return run(key, config, **kw)

    study.__name__ = study.__qualname__ = key
    study.__doc__ = f"{about}\n\nRuns study ``{key}`` with the fields of ``config`` overriding its defaults " \
        f"(``default_config({key!r})``); returns its measured results with ``title`` and ``answers``."
    return study


# One function per registered study, made from the library's registry (a study added there appears here).
for _key, _about in _ibias.study_list():
    globals()[_key] = _study(_key, _about)
del _key, _about


def __getattr__(name: str) -> Callable[..., StudyResult]:
    raise AttributeError(f"module 'ibias.study' has no study '{name}' (registered: {', '.join(keys())})")


def __dir__() -> List[str]:
    return sorted(list(globals()) + keys())
