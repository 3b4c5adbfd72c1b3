import numpy as np

from index.embedders.base import FakeEmbedder, resolve_model_path


def test_fake_embedder_is_deterministic_and_normalised() -> None:
    e = FakeEmbedder(dim=64)
    a = e.encode(["the minister said", "a quite different sentence"])
    b = FakeEmbedder(dim=64).encode(["the minister said", "a quite different sentence"])
    assert a.shape == (2, 64) and a.dtype == np.float32
    assert np.allclose(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_fake_embedder_scores_related_text_higher() -> None:
    e = FakeEmbedder()
    q, related, unrelated = e.encode(["migrants in Calais", "many migrants are in Calais now", "prime numbers"])
    assert float(q @ related) > float(q @ unrelated)


def test_empty_text_gives_zero_vector_not_nan() -> None:
    v = FakeEmbedder().encode([""])
    assert not np.isnan(v).any()


def test_resolve_model_path_keeps_unknown_names_and_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert resolve_model_path(str(tmp_path)) == str(tmp_path)
    assert resolve_model_path("no-such-package-xyz") == "no-such-package-xyz"
