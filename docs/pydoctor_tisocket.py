"""
A pydoctor extension for tisocket-twisted's API reference: the public names
are defined in private modules (C{_tcp}, C{_buffer} ...) and re-exported by
the package's C{__all__}; document them where users import them from.

pydoctor moves a re-exported name into the package only when the module that
defines it does not list it in its own C{__all__}; the private modules here
do list theirs (for the linters and C{import *}), so for the re-export
decision their C{__all__} is set aside.
"""

from __future__ import annotations

from collections.abc import Collection

from pydoctor import extensions, model


class _PrivateModulesExportNothing(extensions.ModuleMixin):
    """Private modules answer pydoctor's C{all} with L{None}."""

    _declaredAll: Collection[str] | None = None

    @property
    def all(self) -> Collection[str] | None:
        """The module's C{__all__}, except for private modules of the package."""
        name: str = self.name  # type: ignore[attr-defined]
        if name.startswith("_") and not name.startswith("__"):
            return None
        return self._declaredAll

    @all.setter
    def all(self, value: Collection[str] | None) -> None:
        self._declaredAll = value


def setup_pydoctor_extension(r: extensions.ExtRegistrar) -> None:
    """Register the mixin."""
    r.register_mixin(_PrivateModulesExportNothing)


class TisocketSystem(model.System):
    """pydoctor's system, with the extension above."""

    custom_extensions = ["pydoctor_tisocket"]
