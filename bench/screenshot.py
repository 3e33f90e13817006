"""Take the README's screenshot from the real app in headless Chromium."""

import sys

from . import browser

#: back to the top of the page: a Run button clicked below the fold scrolled the page down
SCROLL_TO_TOP = ("() => { window.scrollTo(0, 0); document.querySelectorAll('*').forEach("
                 "(e) => { if (e.scrollTop) e.scrollTop = 0; }); }")


def main(path: str = "assets/screenshot.png") -> None:
    with browser.chromium() as chrome, browser.serve_app() as url:
        page = chrome.new_page(viewport={"width": 1400, "height": 1020})
        page.goto(url + "/app")
        for name in ("spiked-curves", "spiked-phase"):
            page.wait_for_function(
                f"() => {{ const d = ({browser.JS_SOURCE_DATA})('{name}');"
                " return d && Object.values(d)[0].length > 0; }")
        # show finite-size AMP runs on top of the theory, as a user would after one click
        page.get_by_role("button", name="Run AMP").click()
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('spiked-amp');"
            " return d && d.snr.length > 0; }", timeout=120_000)
        page.wait_for_timeout(1500)
        page.evaluate(SCROLL_TO_TOP)
        page.wait_for_timeout(300)
        page.screenshot(path=path)
        print(f"wrote {path}")
        # the teacher-student tab, binary perceptron, with GAMP runs on top
        glm_path = path.replace(".png", "-glm.png")
        page.goto(url + "/app?tab=1&glm_sim_n=1000&glm_sim_runs=3")
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('glm-curves');"
            " return d && d.alpha.length > 0; }")
        page.get_by_role("button", name="Run simulations").click()
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('glm-sim');"
            " return d && d.alpha.length > 0; }", timeout=180_000)
        page.wait_for_timeout(1500)
        page.evaluate(SCROLL_TO_TOP)
        page.wait_for_timeout(300)
        page.screenshot(path=glm_path)
        print(f"wrote {glm_path}")
        # the online-SGD tab: plateau and specialisation, with two SGD runs on top
        online_path = path.replace(".png", "-online.png")
        page.goto(url + "/app?tab=2&sgd_N=500&sgd_alpha_max=300")  # the cursor at the last frame
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('sgd-sweep');"
            " return d && d.lr.length > 0; }", timeout=60_000)
        page.get_by_role("button", name="Run SGD").click()
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('sgd-runs');"
            " return d && d.xs.length > 0; }", timeout=180_000)
        page.wait_for_timeout(1500)
        page.evaluate(SCROLL_TO_TOP)
        page.wait_for_timeout(300)
        page.screenshot(path=online_path)
        print(f"wrote {online_path}")
        # the diffusion tab: digits, with a backward run and its generated images
        diffusion_path = path.replace(".png", "-diffusion.png")
        page.goto(url + "/app?tab=3&dm_source=digits&dm_n=500")
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('dm-times');"
            " return d && d.x.length > 2; }", timeout=60_000)
        page.get_by_role("button", name="Run backward diffusion").click()
        page.wait_for_function(
            f"() => {{ const d = ({browser.JS_SOURCE_DATA})('dm-curves');"
            " return d && d.t.length > 0; }", timeout=180_000)
        page.wait_for_timeout(1500)
        page.evaluate(SCROLL_TO_TOP)
        page.wait_for_timeout(300)
        page.screenshot(path=diffusion_path)
        print(f"wrote {diffusion_path}")
        # the explorers added since: their default views, curves and background results in
        for suffix, query, sources in (
                ("capacity", "tab=4", ("capacity-overlap", "capacity-cover")),
                ("scaling", "tab=5", ("scaling-curve",)),
                ("multiindex", "tab=6", ("multiindex-eigenvalues",))):
            shot = path.replace(".png", f"-{suffix}.png")
            page.goto(f"{url}/app?{query}")
            for name in sources:
                page.wait_for_function(
                    f"() => {{ const d = ({browser.JS_SOURCE_DATA})('{name}');"
                    " return d && Object.values(d)[0].length > 0; }", timeout=60_000)
            page.wait_for_timeout(3000)  # the background curves land
            page.evaluate(SCROLL_TO_TOP)
            page.wait_for_timeout(300)
            page.screenshot(path=shot)
            print(f"wrote {shot}")


if __name__ == "__main__":
    main(*sys.argv[1:])
