"""The abuse suite's batch: every selected case runs once per session, in parallel."""

from __future__ import annotations

import pytest

from tests.adversarial.abuse import Batch


@pytest.fixture(scope="session")
def batch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The selected cases (``-k`` respected), run together on first use."""
    names = [item.callspec.params["name"] for item in request.session.items
             if hasattr(item, "callspec") and "name" in item.callspec.params
             and item.path.parent.name == "adversarial"]
    return Batch(tmp_path_factory.mktemp("abuse"), names)
