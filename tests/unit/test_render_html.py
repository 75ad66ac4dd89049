"""The self-contained HTML rendering of the SLO report, checked by parsing it (the browser tests load it in
real Chromium): worst first, every product with its trend chart, escaped values, no external resources."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproducts.render import render_html
from dataproducts.render.html import safe_href

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "slo_report_sample.json"
WORST_FIRST = [
    "operations.service_health_daily",
    "sales.fct_orders",
    "operations.kpi_status_daily",
    "marketing.customer_lifetime_value",
    "customers.dim_customers",
    "sales.fct_order_items",
    "customers.dim_customers_v1",
    "marketing.cohort_retention",
    "sales.dim_products",
    "sales.sales_daily",
]
#: Every element the renderer writes; anything else in the output would have come from report data.
OWN_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "section", "footer", "nav", "div", "p",
    "span", "strong", "code", "a", "h1", "h2", "h3", "h4", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
    "tbody", "tr", "th", "td", "article", "figure", "br", "svg", "g", "rect", "path", "text", "desc",
}  # fmt: skip


class Parsed(HTMLParser):
    """Elements (tag, attrs) in document order, plus text per element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "rect", "path"):
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.texts.append((tuple(self.stack), data))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    @property
    def text(self) -> str:
        return "".join(data for _, data in self.texts)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def html(report: dict[str, Any]) -> str:
    return render_html(report)


@pytest.fixture(scope="module")
def parsed(html: str) -> Parsed:
    return Parsed(html)


def articles(parsed: Parsed) -> list[dict[str, str | None]]:
    return [a for t, a in parsed.elements if t == "article"]


def test_is_a_responsive_document(html: str, parsed: Parsed) -> None:
    assert html.startswith("<!doctype html>")
    assert parsed.find("html", lang="en")
    assert parsed.find("meta", name="viewport", content="width=device-width, initial-scale=1")
    assert parsed.find("meta", charset="utf-8")
    (csp,) = parsed.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in (csp["content"] or "")
    assert "@media (max-width:640px)" in html


def test_header_shows_overall_status_and_counts(parsed: Parsed) -> None:
    text = parsed.text
    assert "Data product SLOs as of 2026-11-20" in text
    assert re.search(r"Overall\s*breached", text)
    for phrase in ("2 breached", "1 unknown", "2 at risk", "5 met"):
        assert phrase in text


def test_every_product_has_a_card_worst_first(parsed: Parsed) -> None:
    cards = articles(parsed)
    assert [c["data-product"] for c in cards] == WORST_FIRST
    order = [(c["class"] or "").split()[1] for c in cards]
    assert order == ["s-breached"] * 2 + ["s-unknown"] + ["s-at_risk"] * 2 + ["s-met"] * 5


def test_overview_links_to_every_card_in_the_same_order(parsed: Parsed) -> None:
    hrefs = [a["href"] for t, a in parsed.elements if t == "a" and (a.get("href") or "").startswith("#p")]
    assert hrefs == ["#" + (c["id"] or "") for c in articles(parsed)]


def test_every_product_has_an_accessible_trend_chart(html: str, report: dict[str, Any]) -> None:
    charts = re.findall(r'<svg class="trend"[^>]*>.*?</svg>', html, flags=re.S)
    assert len(charts) == len(report["products"])
    for chart, product_id in zip(charts, WORST_FIRST, strict=True):
        assert 'role="img"' in chart and "aria-labelledby=" in chart
        title = re.search(r"<title id=\"[^\"]+-t\">([^<]*)</title>", chart)
        assert title and product_id in title.group(1) and "2026-10-24 to 2026-11-20" in title.group(1)
        assert "<desc id=" in chart
        assert chart.count("<rect") == 28 * 6  # 28 days x (overall + 5 SLIs)


def test_trend_shows_gaps_and_every_status(html: str) -> None:
    charts = re.findall(r'<svg class="trend"[^>]*>.*?</svg>', html, flags=re.S)
    kpi = charts[WORST_FIRST.index("operations.kpi_status_daily")]
    assert kpi.count('class="c-none"') == 2 * 6  # two days without a run, every row
    assert "2026-10-27 · Overall: no run" in kpi
    fct_orders = charts[WORST_FIRST.index("sales.fct_orders")]
    for status in ("c-met", "c-at_risk", "c-breached"):
        assert status in fct_orders
    assert "c-unknown" in kpi
    assert "Days not met: 2026-10-27: no run; 2026-10-28: no run" in kpi


def test_sli_table_budget_and_owner(parsed: Parsed, html: str) -> None:
    text = parsed.text
    assert "customer_id is null in 332 of 48,211 rows (0.69%); target ≥ 99.9%." in text
    assert "99.31%" in text and "≥ 99.9%" in text and "51 h" in text and "≤ 26 h" in text
    assert "<strong>Grain:</strong> one row per order (<code>order_id</code>)" in html
    assert "-43%" in text and "exhausted" in text and "1.43×" in text and "92.86%" in text
    assert parsed.find("a", href="mailto:sales-analytics@example.com")
    assert parsed.find("a", href="mailto:sre@example.com")


def test_links_to_dbt_docs_and_data_docs(parsed: Parsed, report: dict[str, Any]) -> None:
    hrefs = {a.get("href") for t, a in parsed.elements if t == "a"}
    for product in report["products"]:
        for url in product["links"].values():
            if url:
                assert url in hrefs
    assert parsed.find("a", href="../dbt-docs/index.html#!/model/model.dataproducts.fct_orders", class_="btn")


def test_exposures_listed_and_unsafe_urls_not_linked(parsed: Parsed, html: str) -> None:
    assert parsed.find("a", href="https://bi.example.com/dashboards/customer-360", rel="noopener noreferrer")
    assert "newsletter_sync" in parsed.text
    assert not any("javascript:" in (a.get("href") or "").lower() for _, a in parsed.elements)


def test_failing_check_samples_are_escaped(html: str, parsed: Parsed) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    samples = [data for stack, data in parsed.texts if stack[-1:] == ("code",)]
    assert "<script>alert(1)</script>" in samples  # shown as text, exactly
    assert '"shipped"' in samples and "Zurückgegeben ✓" in samples and "paid | refunded" in samples
    assert 'class="sample null">null</code>' in html


def test_only_own_elements_and_no_event_handlers(parsed: Parsed) -> None:
    assert {tag for tag, _ in parsed.elements} <= OWN_TAGS
    for _, attrs in parsed.elements:
        assert not [name for name in attrs if name.startswith("on")]


def test_no_external_resources(html: str, parsed: Parsed) -> None:
    for tag, attrs in parsed.elements:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "source", "video", "audio")
        for name in ("src", "srcset", "xlink:href", "data", "poster"):
            assert name not in attrs, (tag, attrs)
        if tag != "a":
            assert "href" not in attrs, (tag, attrs)
    style = re.search(r"<style>(.*?)</style>", html, flags=re.S)
    assert style and "url(" not in style.group(1) and "@import" not in style.group(1)
    assert not re.search(r"""(?:src|srcset)\s*=\s*["']?\s*(?:https?:)?//""", html, flags=re.I)


def test_deprecations_with_owners(parsed: Parsed, html: str) -> None:
    section = html[html.index('id="dep-h"') : html.index('id="sc-h"')]
    assert "customers.dim_customers</code> v1" in section and "2027-06-30" in section and "222" in section
    assert "sales.fct_orders</code> v2" in section and '<strong class="soon">25</strong>' in section
    assert 'href="mailto:marketing-ops@example.com"' in section
    assert "Finance &lt;Ops&gt; &amp; Co" in section  # an owner without email: escaped text
    assert "finance_close_export" in section  # an exposure without url: plain text


def test_schema_changes_listed(html: str) -> None:
    section = html[html.index('id="sc-h"') :]
    assert "<code>sales.dim_products</code>: type changed <code>list_price</code>" in section
    assert "<code>DECIMAL(10,2)</code> → <code>DECIMAL(12,2)</code>" in section
    assert section.count("<li>") == 3


def test_order_does_not_depend_on_input_order(report: dict[str, Any]) -> None:
    shuffled = copy.deepcopy(report)
    shuffled["products"].reverse()
    cards = articles(Parsed(render_html(shuffled)))
    assert [c["data-product"] for c in cards] == WORST_FIRST


def test_tolerates_missing_and_null_values() -> None:
    assert "No data products in this report." in render_html({})
    nulls: dict[str, Any] = {
        "overall_status": None,
        "summary": None,
        "window_days": None,
        "products": [
            None,
            {"id": None, "status": None, "owner": None, "slis": None, "error_budget": None, "trend": None},
            {
                "id": "x.z",
                "status": "new_status",
                "slis": {"freshness": None, "validity": {"status": None, "value": "n/a", "target": "≥ 1"}},
                "error_budget": {"remaining": None, "per_sli": None},
                "trend": [None, {"date": None, "slis": None}, {"date": "2026-01-01", "status": "met"}],
                "failing_checks": [None, {"samples": None}],
                "links": None,
                "exposures": [{"owner": None, "url": None}],
            },
        ],
        "deprecations": [None, {"exposures": None, "days_left": None}],
        "schema_changes": [None, {}],
    }
    parsed = Parsed(render_html(nulls))
    assert len(articles(parsed)) == 2
    assert "new_status" in parsed.text


@pytest.mark.parametrize(
    ("url", "safe", "relative"),
    [
        ("https://bi.example.com/x", True, True),
        ("HTTP://bi.example.com/x", True, True),
        ("mailto:a@example.com", True, True),
        ("../dbt-docs/index.html#!/model/x", False, True),  # only the runner's own links may be relative
        ("javascript:alert(1)", False, False),
        (" JavaScript:alert(1)", False, False),
        ("java\tscript:alert(1)", False, False),
        ("java\nscript:alert(1)", False, False),
        ("\x01javascript:alert(1)", False, False),  # browsers strip leading C0 controls
        ("\x00javascript:alert(1)", False, False),
        ("jav\x00ascript:alert(1)", False, False),
        ("data:text/html,<script>alert(1)</script>", False, False),
        ("vbscript:x", False, False),
        ("file:///etc/passwd", False, False),
        ("ftp://example.com/x", False, False),
        (None, False, False),
        ("", False, False),
        (" \t ", False, False),
    ],
)
def test_safe_href(url: str | None, safe: bool, relative: bool) -> None:
    assert (safe_href(url) is not None) is safe
    assert (safe_href(url, relative=True) is not None) is relative


def test_a_scheme_hidden_by_control_characters_is_not_a_link() -> None:
    report = json.loads(SAMPLE.read_text())
    exposures = report["products"][0].setdefault("exposures", [])
    exposures += [
        {"name": "ctl", "url": "\x01javascript:alert(3)"},
        {"name": "tab", "url": "java\tscript:alert(4)"},
        {"name": "rel", "url": "dashboards/x.html"},
        {"name": "bad_ipv6", "url": "http://[::1"},  # not parseable by urlsplit: still no crash
    ]
    parsed = Parsed(render_html(report))
    hrefs = [a.get("href") or "" for t, a in parsed.elements if t == "a"]
    assert not [h for h in hrefs if "script" in h.lower() or h == "dashboards/x.html"]
    assert "http://[::1" in hrefs


HOSTILE = st.text(alphabet=st.sampled_from("ab <>&\"'/=;:|\\`é\n") | st.characters(), max_size=40)


@settings(max_examples=120, deadline=None)
@given(sample=HOSTILE, reason=HOSTILE, name=HOSTILE, url=HOSTILE)
def test_any_value_stays_text(sample: str, reason: str, name: str, url: str) -> None:
    report = {
        "overall_status": name,
        "products": [
            {
                "id": name,
                "name": name,
                "description": f"**{reason}** `{sample}`",
                "status": "breached",
                "owner": {"name": name, "email": name},
                "slis": {name: {"status": "breached", "reason": reason, "value": sample, "unit": name}},
                "failing_checks": [{"name": name, "samples": [sample, reason], "message": reason}],
                "links": {"dbt_docs": url},
                "exposures": [{"name": name, "url": url, "type": sample}],
                "trend": [{"date": name, "status": sample, "slis": {name: sample}}],
            }
        ],
        "deprecations": [{"product": name, "exposures": [{"name": sample, "url": url}]}],
    }
    parsed = Parsed(render_html(report))
    assert {tag for tag, _ in parsed.elements} <= OWN_TAGS
    assert len(articles(parsed)) == 1
    for _, attrs in parsed.elements:
        assert not [attr for attr in attrs if attr.startswith("on")]
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:"))


def test_lone_surrogates_from_json_do_not_break_the_page() -> None:
    report = json.loads(
        '{"products": [{"id": "a\\ud800", "owner": {"name": "\\udfff", "email": "\\ud800@x.org"}}]}'
    )
    page = render_html(report)
    page.encode("utf-8")  # writable as UTF-8
    assert "a\ufffd" in page


def test_descriptions_render_code_and_bold_only_after_escaping() -> None:
    from dataproducts.render.html import inline_markdown

    assert inline_markdown("**Grain:** one row per `customer_id`.") == (
        "<strong>Grain:</strong> one row per <code>customer_id</code>."
    )
    assert inline_markdown("`<script>` **<b>x</b>**") == (
        "<code>&lt;script&gt;</code> <strong>&lt;b&gt;x&lt;/b&gt;</strong>"
    )
    assert inline_markdown("a * b ** c") == "a * b ** c"


def test_missed_nights_and_partial_runs_are_shown() -> None:
    """A night without a run ("missed" in the trend) is drawn as a day without a run, never as a status;
    a partial run says so with its selection."""
    from dataproducts.render import render_html, render_markdown

    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    doc["run_id"] = "20261120T061500Z-abcdef12"
    doc["partial"] = True
    doc["selection"] = ["sales.fct_orders"]
    product = doc["products"][0]
    import datetime as dt

    day = dt.date.fromisoformat(doc["as_of_date"])
    missed = (day - dt.timedelta(days=1)).isoformat()
    last = {**product["trend"][-1], "date": day.isoformat(), "status": "met"}
    product["trend"] = [
        {"date": missed, "run_id": None, "invocation_id": None, "status": "missed", "slis": {}},
        last,
    ]
    html = render_html(doc)
    assert "20261120T061500Z-abcdef12" in html and "partial run" in html
    assert f"{missed}: no run" in html, "the missed night is a day without a run in the chart"
    assert "missed</" not in html
    md = render_markdown(doc)
    assert "partial run" in md and "`sales.fct_orders`" in md
