"""``dp portal build DIR``: the portal's pages as a static site, for any web server or ``file://``.

Every path of ``portal.site.Site`` is written under a staging folder beside ``DIR``, which then replaces
``DIR`` by renames (``fileio.swap_in_dir``): a reader sees the old site or the new one, never half of one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from dataproducts.config import ProjectConfig
from dataproducts.errors import OutputError
from dataproducts.fileio import make_staging_dir, output_error, swap_in_dir
from dataproducts.portal.site import Site


@dataclass(frozen=True)
class BuiltSite:
    directory: Path
    pages: int
    files: int
    run_id: str

    def render_text(self) -> str:
        return f"portal: {self.pages} pages and {self.files} files of run {self.run_id} -> {self.directory}/index.html"


def build_site(cfg: ProjectConfig, directory: Path) -> BuiltSite:
    """Write the static portal of ``cfg`` into ``directory`` (replaced whole)."""
    directory = Path(directory).absolute()
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: cannot write (it is a file, not a folder)")
    site = Site(cfg, static=True)
    state = site.state()  # a project without a reported run stops here, before anything is written
    staging = make_staging_dir(directory.parent, f".{directory.name}-")
    pages = files = 0
    try:
        for path in site.paths():
            content = site.resolve(path)
            if content is None:
                continue
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if content.file is not None:
                shutil.copyfile(content.file, target)
                files += 1
            else:
                target.write_bytes(content.body())
                pages += 1
        swap_in_dir(staging, directory)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise output_error(directory, exc, folder=True) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuiltSite(directory, pages, files, state.run_id)
