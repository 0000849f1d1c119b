"""evalcorr.data.fetch: files from a mirror directory, from a mirror server and from upstream addresses,
each verified by sha256. The download path runs for real against an HTTP server on 127.0.0.1."""

import os
import re
import shutil
import socket
import time

import pytest

from tests._datalayer import make_world, mirror_server, sha256
from evalcorr.data import fetch
from evalcorr.errors import ChecksumError, DataError
from evalcorr.data import locations
from evalcorr.data.manifest import File, get_source


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


def toy_files():
    return get_source("toy-scores").inputs + get_source("toy-transfer").inputs


def test_mirror_files_are_verified_and_used_in_place(world):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in world["mirror"].rglob("*.csv")}
    local = fetch.materialise(toy_files())
    assert local == {"toy/scores.csv": world["mirror"] / "toy/scores.csv",
                     "toy/transfer.csv": world["mirror"] / "toy/transfer.csv"}
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in world["mirror"].rglob("*.csv")} == before
    assert not world["cache"].exists()  # nothing copied or downloaded


def test_missing_mirror_directory(world, tmp_path):
    with pytest.raises(DataError, match=r"mirror directory .*nowhere does not exist.*EVALCORR_DATA_DIR"):
        fetch.materialise(toy_files(), mirror=tmp_path / "nowhere")


def test_env_mirror_that_does_not_exist_is_reported(world, monkeypatch, tmp_path):
    monkeypatch.setenv("EVALCORR_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(DataError, match="typo does not exist"):
        fetch.materialise(toy_files())


def test_missing_file_in_mirror_names_it_and_what_to_do(world):
    (world["mirror"] / "toy/transfer.csv").unlink()
    with pytest.raises(DataError, match=r"toy/transfer.csv is missing from the mirror .*--from-url"):
        fetch.materialise(toy_files())


def test_checksum_mismatch_in_mirror_names_file_and_both_hashes(world):
    path = world["mirror"] / "toy/scores.csv"
    expected = sha256(path.read_bytes())
    path.write_bytes(path.read_bytes().replace(b"0.50", b"0.55"))
    with pytest.raises(ChecksumError) as error:
        fetch.materialise(toy_files())
    message = str(error.value)
    assert "toy/scores.csv" in message and expected in message and sha256(path.read_bytes()) in message
    assert path.exists()  # a mirror is never modified


def test_download_from_mirror_server(world):
    with mirror_server(world["mirror"]) as server:
        local = fetch.materialise(toy_files(), base_url=server.url, progress=False)
    downloads = world["cache"] / "downloads"
    assert local["toy/scores.csv"] == downloads / "toy/scores.csv"
    assert local["toy/scores.csv"].read_bytes() == (world["mirror"] / "toy/scores.csv").read_bytes()
    assert [path for path, _ in server.requests] == ["/toy/scores.csv", "/toy/transfer.csv"]
    # a second run finds the verified downloads and asks the server for nothing
    with mirror_server(world["mirror"]) as server:
        fetch.materialise(toy_files(), base_url=server.url, progress=False)
    assert server.requests == []


def test_corrupted_file_on_server_is_a_checksum_error(world, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(world["mirror"], served)
    (served / "toy/transfer.csv").write_bytes(b"model,value\nm1,999\n")
    with mirror_server(served) as server, pytest.raises(ChecksumError) as error:
        fetch.materialise(toy_files(), base_url=server.url, progress=False)
    message = str(error.value)
    assert "toy/transfer.csv" in message
    assert sha256((world["mirror"] / "toy/transfer.csv").read_bytes()) in message
    assert sha256(b"model,value\nm1,999\n") in message
    assert f"{server.url}/toy/transfer.csv" in message
    assert not (world["cache"] / "downloads/toy/transfer.csv").exists()  # the bad copy is not kept


def test_missing_file_on_server_is_a_clear_404(world, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(world["mirror"], served)
    (served / "toy/scores.csv").unlink()
    with mirror_server(served) as server, pytest.raises(DataError) as error:
        fetch.materialise(toy_files(), base_url=server.url, progress=False)
    assert f"{server.url}/toy/scores.csv" in str(error.value) and "HTTP 404" in str(error.value)


def test_interrupted_download_resumes_with_a_range_request(world):
    data = (world["mirror"] / "toy/scores.csv").read_bytes()
    part = world["cache"] / "downloads/toy/scores.csv.part"
    with mirror_server(world["mirror"], truncate={"toy/scores.csv": 100}) as server:
        with pytest.raises(DataError, match="interrupted.*next run resumes"):
            fetch.materialise(toy_files(), base_url=server.url, progress=False)
        assert part.read_bytes() == data[:100]
        local = fetch.materialise(toy_files(), base_url=server.url, progress=False)
    assert local["toy/scores.csv"].read_bytes() == data
    assert not part.exists()
    assert server.requests[:2] == [("/toy/scores.csv", None), ("/toy/scores.csv", "bytes=100-")]


def test_server_ignoring_range_restarts_the_download(world):
    data = (world["mirror"] / "toy/scores.csv").read_bytes()
    part = world["cache"] / "downloads/toy/scores.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:50])
    with mirror_server(world["mirror"], ignore_range=True) as server:
        local = fetch.materialise(get_source("toy-scores").inputs, base_url=server.url, progress=False)
    assert local["toy/scores.csv"].read_bytes() == data
    assert server.requests == [("/toy/scores.csv", "bytes=50-")]


def test_complete_part_file_gets_416_and_restarts(world):
    data = (world["mirror"] / "toy/scores.csv").read_bytes()
    part = world["cache"] / "downloads/toy/scores.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data)
    with mirror_server(world["mirror"]) as server:
        local = fetch.materialise(get_source("toy-scores").inputs, base_url=server.url, progress=False)
    assert local["toy/scores.csv"].read_bytes() == data
    assert server.requests == [("/toy/scores.csv", f"bytes={len(data)}-"), ("/toy/scores.csv", None)]


def _no_mirror(monkeypatch, tmp_path):
    monkeypatch.delenv("EVALCORR_DATA_DIR")
    monkeypatch.setattr(locations, "DEFAULT_MIRROR", tmp_path / "no-default-mirror")
    assert locations.default_mirror() is None


def test_upstream_urls_are_used_without_a_mirror(world, monkeypatch, tmp_path):
    _no_mirror(monkeypatch, tmp_path)
    with mirror_server(world["mirror"]) as server:
        upstream = [File(path=f.path, upstream_path=f.upstream_path, url=f"{server.url}/{f.path}",
                         sha256=f.sha256, size=f.size) for f in toy_files()]
        local = fetch.materialise(upstream, progress=False)
    assert local["toy/transfer.csv"].parent == world["cache"] / "downloads/toy"
    assert len(server.requests) == 2


def test_derived_file_without_mirror_needs_one(world, monkeypatch, tmp_path):
    _no_mirror(monkeypatch, tmp_path)
    derived = File(path="x/packed.jsonl.gz", upstream_path="data/**", url=None, sha256="0" * 64, size=1,
                   derived_from="https://github.com/example/toy/tree/main/data", recipe="packed")
    with pytest.raises(DataError, match=r"derived from upstream.*no download address.*EVALCORR_DATA_DIR"):
        fetch.materialise([derived], progress=False)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_says_what_failed_not_offline(world):
    with pytest.raises(DataError) as error:
        fetch.materialise(toy_files(), base_url=f"http://127.0.0.1:{_closed_port()}", progress=False)
    message = str(error.value)
    assert re.search(r"the connection to 127.0.0.1:\d+ was refused: no server is listening there", message)
    assert "offline" not in message and "EVALCORR_DATA_DIR" in message


def test_offline_is_said_when_no_name_can_be_looked_up(world, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(DataError, match=r"cannot reach mirror.example:8000 .*looks offline.*EVALCORR_DATA_DIR"):
        fetch.materialise(toy_files(), base_url="http://mirror.example:8000", progress=False)


@pytest.mark.parametrize("base_url", ["notaurl", "ftp://host/x", "http://"])
def test_a_base_url_that_is_not_an_address_is_one_clear_error(world, base_url):
    with pytest.raises(DataError, match=r"--from-url .* is not an http\(s\) address"):
        fetch.materialise(toy_files(), base_url=base_url, progress=False)


def test_a_trickling_server_is_given_up_at_the_stall_deadline(world):
    part = world["cache"] / "downloads/toy/scores.csv.part"
    with mirror_server(world["mirror"], trickle={"toy/scores.csv": 0.05}) as server:
        started = time.monotonic()
        with pytest.raises(DataError) as error:
            fetch.download(f"{server.url}/toy/scores.csv", world["cache"] / "downloads/toy/scores.csv",
                           progress=False, stall=0.5, deadline=20)
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert "stalled" in message and "the stall deadline is 0.5 s without 1,024 bytes" in message
    assert "the overall deadline 20 s" in message
    assert 0 < part.stat().st_size < 50  # what arrived is kept for the next run


def test_a_slow_server_is_given_up_at_the_overall_deadline(world):
    with mirror_server(world["mirror"], trickle={"toy/scores.csv": 0.01}) as server:
        started = time.monotonic()
        with pytest.raises(DataError) as error:
            fetch.download(f"{server.url}/toy/scores.csv", world["cache"] / "downloads/toy/scores.csv",
                           progress=False, stall=0.3, stall_bytes=1, deadline=0.8)
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert "took longer than its overall deadline" in message
    assert "the stall deadline is 0.3 s without 1 bytes, the overall deadline 0.8 s" in message


@pytest.mark.parametrize("announce", [False, True])
def test_reading_stops_at_the_size_the_manifest_records(world, announce):
    extra = 200 * 1024 * 1024  # far more than a client could read in the time the test allows
    with mirror_server(world["mirror"], oversend={"toy/scores.csv": extra}, announce_oversend=announce) as server:
        started = time.monotonic()
        with pytest.raises(DataError, match="manifest records") as error:
            fetch.materialise(get_source("toy-scores").inputs, base_url=server.url, progress=False)
        elapsed = time.monotonic() - started
    assert elapsed < 5 and server.sent_extra < extra
    assert str(get_source("toy-scores").files[0].size) in str(error.value).replace(",", "")
    assert not (world["cache"] / "downloads/toy/scores.csv.part").exists()
    assert not (world["cache"] / "downloads/toy/scores.csv").exists()


def test_silent_server_times_out(world):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(DataError, match=r"127.0.0.1:\d+ did not answer within 0.5 s"):
            fetch.materialise(toy_files(), base_url=url, timeout=0.5, progress=False)


def test_real_mirror_file_verifies():
    source = get_source("helm-mmlu")
    local = fetch.materialise(source.files)
    assert os.path.getsize(local[source.files[0].path]) == source.files[0].size
