"""Benchmark: the image cache under a long-tail (Zipf) stream of cover requests.

A Discogs emulator serving real images and a sleeve gateway in front of it (images on, a
scaled-down image budget whose window is one simulated "day": ``--seconds / --days``) run
in this process. The emulator's catalogue gets ``--extra-releases`` generated releases with
a cover each, so that the Zipf ranks run over ``--releases`` releases and the compulsory
misses outnumber the budget: the budget binds, as a real daily cap does on a long tail.
``--requests`` image requests over release ids drawn from a Zipf distribution are replayed
in time order, paced evenly over ``--seconds``, with ``--concurrency`` in flight.
A request is a miss when Discogs saw a fetch of its image while it was being answered,
"waited" when it joined a fetch already under way, a hit when sleeve answered it from disk.
Prints the floor (distinct images asked for: the compulsory misses; and capped by what the
budget allowed over the days), the upstream fetches actually made, the hit ratio overall,
per simulated day and per tenth of the run, the 503s of a spent budget; draws the hit-ratio
curve as a PNG (``--plot``). Everything runs in this one process (three event loops in
threads), so latencies are indicative only; the counts are what the benchmark is for.

    python benchmarks/image_longtail.py [--requests 5000] [--releases 2000] [--exponent 1.0]
        [--budget 200] [--days 3] [--seconds 30] [--concurrency 8] [--thumb-share 0.3]
        [--seed 1] [--extra-releases N] [--plot image_longtail.png]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import itertools
import math
import pathlib
import random
import sys
import time
import warnings
from collections import Counter
from urllib.parse import urlsplit

import aiohttp
import httpx
from PIL import Image, ImageDraw, ImageFont

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# connexion imports starlette's test client at import time; nothing here uses it.
warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread  # noqa: E402
from sleeve.emulators.discogs_data import build_catalogue  # noqa: E402
from sleeve.governance.clients import key_digest  # noqa: E402
from tests.servers import gateway  # noqa: E402

KEY = "longtail-benchmark-key"
HIGH = 1_000_000_000  # limits that must never be what a result measures
TENTHS = 10
PLOT_WINDOWS = 40


@dataclasses.dataclass(frozen=True)
class Planned:
    at: float  # seconds after the start
    release: int
    thumb: bool

    @property
    def path(self) -> str:
        return f"/images/releases/{self.release}/0" + ("?size=150" if self.thumb else "")


@dataclasses.dataclass
class Outcome:
    planned: Planned
    started: float = 0.0
    at: float = 0.0  # where it sits on the curve: set by ``place``
    finished: float = 0.0
    status: int = 0  # 0: no answer (connection error or timeout)
    fetched: bool = False  # Discogs saw a fetch of this image while it was in flight
    waited: bool = False  # no fetch seen, but sent before its image was first answered
    message: str = ""

    @property
    def hit(self) -> bool:
        return self.status == 200 and not self.fetched and not self.waited

    @property
    def miss(self) -> bool:
        return self.status == 200 and self.fetched

    @property
    def budget_refused(self) -> bool:
        return self.status == 503 and "budget" in self.message


# --- the request stream --------------------------------------------------------------------


def zipf_cdf(population: int, exponent: float) -> list[float]:
    """Cumulative probabilities of ranks 1..population with weights 1/rank**exponent."""
    weights = [1.0 / rank**exponent for rank in range(1, population + 1)]
    total = sum(weights)
    cdf = list(itertools.accumulate(weight / total for weight in weights))
    cdf[-1] = 1.0  # no rounding gap past the last rank
    return cdf


def zipf_rank(cdf: list[float], rng: random.Random) -> int:
    """A 0-based rank drawn from ``cdf``."""
    return bisect.bisect_right(cdf, rng.random())


def releases_with_images(emulator: DiscogsEmulator) -> list[int]:
    return sorted(
        release_id
        for release_id, release in emulator.catalogue.releases.items()
        if release.get("images")
    )


def plan(args: argparse.Namespace, available: list[int]) -> tuple[list[Planned], list[int]]:
    """The requests in time order and the release id of each Zipf rank (popular first)."""
    rng = random.Random(args.seed)
    by_rank = available[:]  # which release is most popular is itself drawn, reproducibly
    rng.shuffle(by_rank)
    by_rank = by_rank[: args.releases]
    cdf = zipf_cdf(len(by_rank), args.exponent)
    gap = args.seconds / args.requests
    stream = [
        Planned(i * gap, by_rank[zipf_rank(cdf, rng)], rng.random() < args.thumb_share)
        for i in range(args.requests)
    ]
    return stream, by_rank


# --- the replay ----------------------------------------------------------------------------


async def replay(
    base_url: str, stream: list[Planned], fetches: Counter[str], upstream_path: dict[int, str],
    concurrency: int,
) -> list[Outcome]:  # fmt: skip
    """Send ``stream`` in order, each at its time, at most ``concurrency`` at once.

    ``fetches`` is the emulator's live per-path image counter: a request whose image's
    count moved while it was in flight caused (or waited on) an upstream fetch.
    """
    outcomes = [Outcome(planned) for planned in stream]
    order = iter(outcomes)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base_url, headers={"X-Sleeve-Key": KEY}, timeout=timeout, connector=connector
    ) as session:
        start = time.perf_counter()

        async def worker() -> None:
            for outcome in order:  # shared: each worker takes the next request in time order
                delay = start + outcome.planned.at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                counted = upstream_path[outcome.planned.release]
                before = fetches[counted]
                outcome.started = time.perf_counter() - start
                try:
                    async with session.get(outcome.planned.path) as answer:
                        body = await answer.read()
                        outcome.status = answer.status
                        if answer.status != 200:
                            outcome.message = body.decode("utf-8", "replace")[:200]
                except (aiohttp.ClientError, TimeoutError) as error:
                    outcome.message = f"{type(error).__name__}: {error}"
                outcome.finished = time.perf_counter() - start
                outcome.fetched = fetches[counted] > before

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def sleeve_image_stats(base_url: str) -> dict:
    """sleeve's own image counters (its images stats page, else the cache stats)."""
    headers = {"X-Sleeve-Key": KEY}
    for path, pick in (
        ("/_sleeve/images/stats", lambda body: body),
        ("/_sleeve/cache/stats", lambda body: (body.get("upstreams") or body).get("images")),
    ):
        try:
            answer = httpx.get(base_url + path, headers=headers, timeout=10)
            if answer.status_code == 200:
                return {"source": path, "stats": pick(answer.json())}
        except (httpx.HTTPError, ValueError):
            continue
    return {}


# --- figures -------------------------------------------------------------------------------


def place(outcomes: list[Outcome], paced: bool) -> None:
    """Put each request on the time axis: paced, at its planned moment (sends lag it by at
    most the printed lag; planned moments split the run into equal tenths); else, when sent.

    Also marks the requests that joined a fetch already under way: Discogs had been asked
    before they were sent (so its counter did not move while they were in flight), but they
    were sent before the first answer for their image came back, so the image was not on
    disk yet for them. Approximate by the few milliseconds between storing and answering.
    """
    answered: dict[int, float] = {}
    for outcome in outcomes:
        if outcome.miss:
            release = outcome.planned.release
            answered[release] = min(answered.get(release, math.inf), outcome.finished)
    for outcome in outcomes:
        outcome.at = outcome.planned.at if paced else outcome.started
        if outcome.status == 200 and not outcome.fetched:
            outcome.waited = outcome.started < answered.get(outcome.planned.release, -1.0)


@dataclasses.dataclass
class Window:
    start: float
    end: float
    requests: int = 0
    hits: int = 0
    misses: int = 0
    waited: int = 0
    refused: int = 0

    @property
    def ratio(self) -> float | None:
        return self.hits / self.requests if self.requests else None


def windows(outcomes: list[Outcome], length: float, count: int) -> list[Window]:
    """Requests grouped by when they were sent, in ``count`` equal spans of ``length``."""
    spans = [Window(length * i / count, length * (i + 1) / count) for i in range(count)]
    for outcome in outcomes:
        span = spans[min(count - 1, int(outcome.at / length * count))]
        span.requests += 1
        span.hits += outcome.hit
        span.misses += outcome.miss
        span.waited += outcome.waited
        span.refused += outcome.budget_refused
    return spans


def cumulative(outcomes: list[Outcome]) -> list[tuple[float, float, float]]:
    """``(time, hit ratio so far, best possible hit ratio so far)`` after each request."""
    points, hits, seen = [], 0, set()
    for n, outcome in enumerate(sorted(outcomes, key=lambda o: o.at), start=1):
        hits += outcome.hit
        seen.add(outcome.planned.release)
        points.append((outcome.at, hits / n, 1 - len(seen) / n))
    return points


def report(
    args: argparse.Namespace,
    available: list[int],
    population: list[int],
    outcomes: list[Outcome],
    fetches: Counter[str],
    upstream_path: dict[int, str],
    budget_window: float,
    elapsed: float,
    horizon: float,
    stats: dict,
) -> None:
    requests = len(outcomes)
    floor = len({o.planned.release for o in outcomes})
    made = sum(fetches.values())
    fetched_images = sum(1 for release in population if fetches[upstream_path[release]])
    refetched = sum(1 for release in population if fetches[upstream_path[release]] > 1)
    stray = made - sum(fetches[upstream_path[release]] for release in population)
    hits = sum(o.hit for o in outcomes)
    misses = sum(o.miss for o in outcomes)
    waited = sum(o.waited for o in outcomes)
    refused = sum(o.budget_refused for o in outcomes)
    other = Counter(o.status for o in outcomes if o.status != 200 and not o.budget_refused)
    thumbs = sum(o.planned.thumb for o in outcomes)
    lag = max(o.started - o.planned.at for o in outcomes)
    latencies = sorted(o.finished - o.started for o in outcomes)

    print(f"image long tail: Zipf exponent {args.exponent}, seed {args.seed}")
    if len(population) < args.releases:
        print(
            f"  population used:       {len(population)} releases with images "
            f"(asked for {args.releases}; the emulator catalogue has only {len(available)}, "
            f"so the Zipf ranks run over those {len(population)})"
        )
    else:
        print(f"  population used:       {len(population)} releases with images")
    pacing = f"paced over {args.seconds:g} s" if args.seconds else "as fast as they go"
    print(
        f"  requests:              {requests} ({thumbs} with ?size=150), {args.concurrency} "
        f"in flight at most, {pacing}"
    )
    print(f"  image budget:          {args.budget} fetches per {budget_window:g} s window")
    if args.budget >= len(population):
        print(
            f"  NOTE: the budget ({args.budget}) covers the whole population "
            f"({len(population)}): it cannot run out; pass --budget below the floor to see it"
        )
    days = simulated_days(horizon, budget_window)
    allowed = args.budget * days
    capped = min(floor, allowed)
    print(f"  distinct images (floor, compulsory misses): {floor}")
    print(
        f"  budget allowed over the run: {allowed} ({args.budget} x {days} window(s)); "
        f"floor capped by it: {capped}"
    )
    print(f"  upstream fetches made (emulator image_calls): {made}")
    print(
        f"  fetches / floor:       {made / floor:.2f}; fetches / capped floor: {made / capped:.2f}"
    )
    if fetched_images < floor:
        print(f"  images never fetched:  {floor - fetched_images} (the budget ran out first)")
    if refetched or stray:
        print(f"  images fetched twice or more: {refetched}; fetches of other paths: {stray}")
    print(
        f"  hit ratio overall:     {hits / requests:.3f} ({hits} hits, {misses} misses, "
        f"{waited} waited, {refused} refused; best possible {1 - floor / requests:.3f})"
    )
    print(
        "    (hit: answered from disk; miss: Discogs fetched its image while it was in"
        " flight;\n     waited: joined a fetch already under way, sent before the image's"
        " first answer)"
    )
    print(f"  503, budget spent:     {refused}")
    if other:
        print(f"  other answers:         {dict(sorted(other.items()))}  (0 = no answer)")
        samples = {o.message for o in outcomes if o.status != 200 and not o.budget_refused}
        for message in sorted(samples)[:3]:
            print(f"    e.g. {message}")
    when = "planned send time" if args.seconds else "send time"
    if days > 1:
        print_days(outcomes, horizon, days, budget_window)
    print(f"  hit ratio per tenth of the run (by {when}):")
    print("    tenth      span (s)   requests  hits  misses  waited  503  hit ratio")
    for i, span in enumerate(windows(outcomes, horizon, TENTHS), start=1):
        ratio = "-" if span.ratio is None else f"{span.ratio:.3f}"
        print(
            f"    {i:5}  {span.start:5.1f}-{span.end:5.1f}  {span.requests:8}  {span.hits:4}  "
            f"{span.misses:6}  {span.waited:6}  {span.refused:3}  {ratio:>9}"
        )
    print(
        f"  time taken:            {elapsed:.1f} s (latency median "
        f"{latencies[len(latencies) // 2] * 1000:.1f} ms, p99 "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms"
        + (f"; worst send lag behind plan {lag:.2f} s)" if args.seconds else ")")
    )
    first_fetch = min((o.started for o in outcomes if o.fetched), default=None)
    last_send = max(o.started for o in outcomes)
    if days == 1 and first_fetch is not None and last_send >= first_fetch + budget_window:
        print(
            f"  WARNING: requests were still sent {last_send - first_fetch:.1f} s after the "
            f"first fetch, past the budget window ({budget_window:g} s): budget spent early "
            "was available again late in the run"
        )
    if stats:
        print(f"  sleeve's own counters ({stats['source']}): {describe(stats['stats'])}")


def simulated_days(horizon: float, budget_window: float) -> int:
    """How many budget windows (simulated days) the run spans."""
    return max(1, math.ceil(horizon / budget_window - 1e-9))


def print_days(outcomes: list[Outcome], horizon: float, days: int, budget_window: float) -> None:
    """The curve that matters: each day the budget renews, and the store keeps growing."""
    print(f"  hit ratio per simulated day ({budget_window:g} s, one budget window each):")
    print("    day   requests  hits  misses  waited   503  new images  hit ratio")
    first_day: dict[int, int] = {}  # release -> the day it was first asked for
    for outcome in sorted(outcomes, key=lambda o: o.at):
        first_day.setdefault(outcome.planned.release, day_of(outcome, budget_window, days))
    new = Counter(first_day.values())
    for day, span in enumerate(windows(outcomes, days * budget_window, days)):
        ratio = "-" if span.ratio is None else f"{span.ratio:.3f}"
        print(
            f"    {day + 1:3}  {span.requests:9}  {span.hits:4}  {span.misses:6}  "
            f"{span.waited:6}  {span.refused:4}  {new[day]:10}  {ratio:>9}"
        )


def day_of(outcome: Outcome, budget_window: float, days: int) -> int:
    """0-based simulated day, bucketed like ``windows`` does."""
    return min(days - 1, int(outcome.at / budget_window))


def describe(stats: object) -> str:
    if not isinstance(stats, dict):
        return repr(stats)
    parts = []
    kinds = stats.get("kinds")
    if isinstance(kinds, dict) and "releases" in kinds:
        parts.append(f"releases {kinds['releases']}")
    budget = stats.get("budget")
    if isinstance(budget, dict):
        parts.append(f"budget now used {budget.get('used')}, remaining {budget.get('remaining')}")
    stored = stats.get("stored")
    if isinstance(stored, dict):
        parts.append(f"{stored.get('files')} files stored")
    return "; ".join(parts) or repr(stats)


# --- the plot --------------------------------------------------------------------------


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def plot(
    path: pathlib.Path,
    outcomes: list[Outcome],
    horizon: float,
    title: str,
    subtitle: str,
    budget_window: float,
) -> None:
    width, height = 1000, 600
    left, right, top, bottom = 90, 30, 80, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    small, normal = font(13), font(16)
    x0, y0, x1, y1 = left, height - bottom, width - right, top
    step = nice_step(horizon)
    span = math.ceil(horizon / step - 1e-9) * step  # the x axis ends on a tick

    def x(seconds: float) -> float:
        return x0 + (x1 - x0) * seconds / span

    def y(ratio: float) -> float:
        return y0 - (y0 - y1) * ratio

    for tenth in range(11):  # horizontal grid and the y axis labels
        ratio = tenth / 10
        draw.line([(x0, y(ratio)), (x1, y(ratio))], fill=(228, 228, 228))
        draw.text((x0 - 8, y(ratio)), f"{ratio:.1f}", fill="black", font=small, anchor="rm")
    for i in range(round(span / step) + 1):
        tick = i * step
        draw.line([(x(tick), y0), (x(tick), y0 + 5)], fill="black")
        draw.text((x(tick), y0 + 8), f"{tick:g}", fill="black", font=small, anchor="mt")
    draw.line([(x1, y1), (x0, y1), (x0, y0), (x1, y0)], fill="black", width=2)
    draw.text((width / 2, height - 22), "time since start (s)", fill="black", font=normal,
              anchor="mm")  # fmt: skip
    label = Image.new("RGB", (120, 24), "white")
    ImageDraw.Draw(label).text((60, 12), "hit ratio", fill="black", font=normal, anchor="mm")
    image.paste(label.rotate(90, expand=True), (14, round((y0 + y1) / 2) - 60))
    draw.text((x0, 18), title, fill="black", font=normal)
    draw.text((x0, 42), subtitle, fill=(90, 90, 90), font=small)

    for day in range(1, simulated_days(horizon, budget_window)):  # where the budget renews
        at = x(day * budget_window)
        for top_of_dash in range(y1, y0, 8):
            draw.line([(at, top_of_dash), (at, top_of_dash + 3)], fill=(120, 120, 120))
        draw.text((at + 5, y0 - 18), f"day {day + 1}", fill=(90, 90, 90), font=small)
    refusals = [o.at for o in outcomes if o.budget_refused]
    red = (200, 30, 30)
    if refusals:  # where the budget first ran out
        for top_of_dash in range(y1, y0, 12):
            draw.line([(x(min(refusals)), top_of_dash), (x(min(refusals)), top_of_dash + 6)],
                      fill=red, width=2)  # fmt: skip
        draw.text((x(min(refusals)) + 5, y1 + 4), "budget spent: first 503", fill=red,
                  font=small)  # fmt: skip
    points = cumulative(outcomes)
    spans = [s for s in windows(outcomes, horizon, PLOT_WINDOWS) if s.ratio is not None]
    per_window = [(x((s.start + s.end) / 2), y(s.ratio or 0.0)) for s in spans]
    orange, blue, grey = (230, 120, 20), (30, 80, 200), (150, 150, 150)
    draw.line(per_window, fill=orange, width=2)
    for px, py in per_window:
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=orange)
    draw.line([(x(t), y(r)) for t, r, _ in points], fill=blue, width=3)
    draw.line([(x(t), y(b)) for t, _, b in points], fill=grey, width=1)

    legend = [
        (blue, f"cumulative hit ratio ({points[-1][1]:.3f} at the end)"),
        (orange, f"hit ratio per window of {horizon / PLOT_WINDOWS:.2f} s"),
        (grey, "best possible: only the compulsory misses (cumulative)"),
    ]
    lx, ly = x1 - 400, y0 - 20 - 22 * len(legend)
    draw.rectangle([lx - 10, ly - 8, x1 - 8, y0 - 14], fill="white", outline=(200, 200, 200))
    for i, (colour, text) in enumerate(legend):
        row = ly + 22 * i + 7
        draw.line([(lx, row), (lx + 30, row)], fill=colour, width=3)
        draw.text((lx + 40, row), text, fill="black", font=small, anchor="lm")
    image.save(path)


def nice_step(length: float) -> float:
    """A round tick spacing giving 5-10 ticks over ``length``."""
    for scale in itertools.count():
        for base in (1, 2, 5):
            step = base * 10 ** (scale - 3)
            if length / step <= 10:
                return step
    raise AssertionError  # unreachable


# --- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--releases", type=int, default=2000, help="population size")
    parser.add_argument(
        "--extra-releases", type=int, default=None,
        help="generated releases with a cover added to the emulator's catalogue (default: "
        "--releases, so that the Zipf ranks really run over --releases releases)",
    )  # fmt: skip
    parser.add_argument("--exponent", type=float, default=1.0, help="Zipf exponent")
    parser.add_argument(
        "--budget", type=int, default=200, help="upstream image fetches allowed per day"
    )
    parser.add_argument(
        "--days", type=int, default=3,
        help="simulated days in the run: the budget window is --seconds / --days",
    )  # fmt: skip
    parser.add_argument(
        "--budget-window", type=float, default=None,
        help="the budget's window in s (default: --seconds / --days)",
    )  # fmt: skip
    parser.add_argument(
        "--seconds", type=float, default=30.0,
        help="pace the requests evenly over this long (0: as fast as possible)",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--thumb-share", type=float, default=0.3, help="share with ?size=150")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", type=pathlib.Path, default=pathlib.Path("image_longtail.png"))
    args = parser.parse_args()
    if min(args.requests, args.releases, args.concurrency, args.days) < 1 or args.seconds < 0:
        parser.error(
            "--requests, --releases, --concurrency and --days must be >= 1, --seconds >= 0"
        )
    budget_window = args.budget_window or (args.seconds / args.days if args.seconds else 86400.0)

    extra = args.releases if args.extra_releases is None else args.extra_releases
    emulator = DiscogsEmulator(
        rate_limit=HIGH, anonymous_rate_limit=HIGH, image_host="self",
        image_limit=HIGH, image_window_seconds=budget_window,
        catalogue=build_catalogue(extra_releases=max(0, extra)),
    )  # fmt: skip
    available = releases_with_images(emulator)
    if not available:
        print("the emulator catalogue has no release with images", file=sys.stderr)
        return 1
    stream, population = plan(args, available)

    images = {
        "allowed_hosts": ["127.0.0.1"],
        "daily_budget": args.budget,
        "budget_window": budget_window,
    }
    clients = {
        "keys": [{"name": "longtail", "sha256": key_digest(KEY)}],
        "limit": HIGH,
        "anonymous_limit": HIGH,
    }
    server = {"validate_responses": False, "log_level": "warning"}
    with (
        EmulatorThread(emulator) as discogs_url,
        gateway(discogs_url, images=images, clients=clients, server=server) as sleeve_url,
    ):
        # How the emulator records a fetch of each release's primary image.
        upstream_path = {
            release: urlsplit(emulator.image_url_for("release", release, 0, discogs_url)).path
            for release in population
        }
        assert httpx.get(f"{sleeve_url}/_sleeve/health", timeout=10).status_code == 200
        assert emulator.image_calls == 0
        started = time.perf_counter()
        outcomes = asyncio.run(
            replay(sleeve_url, stream, emulator.image_calls_by_path, upstream_path,
                   args.concurrency)
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        place(outcomes, paced=bool(args.seconds))
        horizon = args.seconds or elapsed
        stats = sleeve_image_stats(sleeve_url)
        fetches = Counter(emulator.image_calls_by_path)

    report(args, available, population, outcomes, fetches, upstream_path, budget_window,
           elapsed, horizon, stats)  # fmt: skip
    title = (
        f"sleeve image cache: {len(outcomes)} requests, Zipf s={args.exponent:g} over "
        f"{len(population)} releases"
    )
    subtitle = (
        f"budget {args.budget} per {budget_window:g} s day "
        f"({simulated_days(horizon, budget_window)} days), concurrency {args.concurrency}, "
        f"thumbnails {args.thumb_share:.0%}, seed {args.seed}; "
        f"fetches {sum(fetches.values())} vs floor {len({o.planned.release for o in outcomes})}"
    )
    plot(args.plot, outcomes, horizon, title, subtitle, budget_window)
    print(f"  plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
