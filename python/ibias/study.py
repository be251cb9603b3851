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


def ex1(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Exercise 1: the claims of the theory, measured."""
    return run("ex1", config, **kw)


def ex2(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Exercise 2: discrete GD on z vs mirror descent, and the α sweep."""
    return run("ex2", config, **kw)


def ex3(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Exercise 3: regularisation paths vs optimisation paths."""
    return run("ex3", config, **kw)


def saddle(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """The α → 0 saddle-to-saddle path and the flow against it (see ``ibias saddle --help``)."""
    return run("saddle", config, **kw)


def depth(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Depth-D diagonal networks: the α sweep for several depths."""
    return run("depth", config, **kw)


def shape(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """The initialisation shape u₀ ≠ v₀ at fixed α."""
    return run("shape", config, **kw)


def woodworth(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Woodworth et al. (2020), Figure 1: population error, norm gaps and sample complexity."""
    return run("woodworth", config, **kw)


def stepsize(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Step size and noise: GD and SGD on (u, v) up to their divergence thresholds."""
    return run("stepsize", config, **kw)


def ridgeflow(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """Ridge vs gradient flow: Ali et al.'s 1.6859 bound, exactly."""
    return run("ridgeflow", config, **kw)


def timeavg(config: Optional[Dict[str, Any]] = None, **kw: Any) -> StudyResult:
    """The time-averaged flow of a diagonal network against the Lasso path (Berthier 2025)."""
    return run("timeavg", config, **kw)
