"""The dark theme in the real page: what the explorers draw in black (cursors, current
points, error bars, reference lines) stays visible, and the secondary buttons follow it."""

import pytest

from dashboards import plotstyle

from .test_spiked_page import open_page

pytestmark = pytest.mark.ui

#: every colour a plot's glyphs and spans draw now, as the browser resolves it (colour
#: columns through their transforms); heat-map text (chosen against its cell) and colour
#: mappers (their own scale) are left out
JS_GLYPH_COLORS = """() => {
  const out = [];
  for (const m of Bokeh.documents[0].all_models) {
    const kind = m.constructor.__name__;
    if (kind !== "GlyphRenderer" && kind !== "Span") continue;
    if (!m.visible) continue;
    const glyph = kind === "Span" ? m : m.glyph;
    if (glyph.constructor.__name__ === "Text") continue;
    const colors = {};
    for (const p of ["line_color", "fill_color"]) {
      if (!(p in glyph.properties)) continue;
      const alpha = glyph[p.replace("color", "alpha")];
      const a = alpha != null && typeof alpha === "object" ? alpha.value : alpha;
      if (a === 0) continue;
      const spec = glyph[p];
      let values;
      if (spec != null && typeof spec === "object" && "field" in spec) {
        let column = Array.from(m.data_source.data[spec.field] ?? []);
        if (spec.transform) column = Array.from(spec.transform.v_compute(column));
        values = column;
      } else values = [spec != null && typeof spec === "object" ? spec.value : spec];
      colors[p] = values.filter((c) => typeof c === "string");
    }
    out.push({glyph: glyph.constructor.__name__, name: String(m.name ?? ""), colors});
  }
  return out;
}"""
COLOR_NAMES = {"black": "#000000", "white": "#ffffff"}


def contrast(a: str, b: str) -> float:
    return plotstyle.contrast(COLOR_NAMES.get(a.lower(), a), COLOR_NAMES.get(b.lower(), b))


def luminance(color: str) -> float:
    return plotstyle.luminance(color)


MIN_CONTRAST = plotstyle.MIN_CONTRAST


def test_the_contrast_measure_sees_black_on_the_dark_background():
    background = plotstyle.BACKGROUND["dark"]
    assert contrast("#000000", background) == pytest.approx(1.58, abs=0.01)  # 0.0788 / 0.05
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast(plotstyle.FOREGROUND["dark"], background) > 7
    assert plotstyle.themed_color("#433C84", "dark") != "#433C84"  # viridis' dark end
    assert contrast(plotstyle.themed_color("#433C84", "dark"), background) >= MIN_CONTRAST
    assert plotstyle.themed_color("#433C84", "default") == "#433C84"
    assert plotstyle.themed_color(plotstyle.FOREGROUND["default"], "default") == "#000000"


@pytest.mark.parametrize(("tab", "ready"), [(0, "spiked-curves"), (1, "glm-curves"),
                                            (2, "sgd-eps"), (3, "dm-phase")])
def test_dark_theme_glyphs_stand_out_from_the_plot_background(page, app_url, tab, ready):
    open_page(page, f"{app_url}?theme=dark&tab={tab}", ready=ready, timeout=60_000)
    page.wait_for_timeout(1000)
    background = plotstyle.BACKGROUND["dark"]
    plot_background = page.evaluate(
        "() => [...Bokeh.documents[0].all_models].find((m) => "
        "m.constructor.__name__ === 'Figure').background_fill_color")
    assert plot_background.lower() == background.lower()  # Panel's dark Bokeh theme
    glyphs = page.evaluate(JS_GLYPH_COLORS)
    assert glyphs
    for glyph in glyphs:
        drawn = [c for colors in glyph["colors"].values() for c in colors]
        if not drawn:
            continue
        # a hollow marker fills with the background: its outline must show
        assert max(contrast(c, background) for c in drawn) >= MIN_CONTRAST, glyph
        for color in glyph["colors"].get("line_color", []):
            assert contrast(color, background) >= MIN_CONTRAST, glyph


@pytest.mark.parametrize(("theme", "dark"), [("dark", True), ("default", False)])
def test_the_copy_button_follows_the_theme(page, app_url, theme, dark):
    open_page(page, f"{app_url}?theme={theme}")
    button = page.locator(".copy-python button").first
    color = button.evaluate("b => getComputedStyle(b).backgroundColor")
    red, green, blue = (int(c) for c in color[color.index("(") + 1:-1].split(",")[:3])
    hex_color = f"#{red:02x}{green:02x}{blue:02x}"
    assert (luminance(hex_color) < 0.1) == dark, color
