"""Screenshot of the live runs' charts in the MLflow UI: docs/img/live_dashboard.png.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright in a separate
environment (``python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright``; it drives the system
chromium, no browser download), and an ``mlflow ui`` serving the store ``scripts/demo_week.py`` filled:

    MLFLOW_TRACKING_URI=sqlite:///build/demo-week/mlflow.db MLFLOW_PORT=5077 make mlflow-ui &
    /tmp/pw/bin/python scripts/dashboard_screenshot.py --url http://127.0.0.1:5077 --experiment 2

It opens the experiment's chart view, closes the assistant panel and the sidebar, and filters the
charts to the figures a manager reads first (a plain ``chromium --headless --screenshot`` shows the
first metric group in alphabetical order, ``by_channel/...``, instead).
"""

from __future__ import annotations

import argparse

#: The charts shown (MLflow's chart search takes a regular expression).
CHARTS = (
    "^(escalation_share|precision|recall|missed_escalation_rate|probable_missed_escalation_rate"
    "|psi_probability|psi_tier|psi_topic|embedding_shift)$"
)


def main() -> None:
    """Take the screenshot."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--experiment", required=True, help="experiment id of ticket-escalation-live")
    parser.add_argument("--out", default="docs/img/live_dashboard.png")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{args.url}/#/experiments/{args.experiment}/runs?compareRunsMode=CHART")
        page.wait_for_timeout(6000)
        page.locator('[data-component-id="mlflow.assistant.chat_panel.close"]').click()
        page.locator('[data-component-id="mlflow_header.toggle_sidebar_button"]').click()
        page.get_by_placeholder("Search metric charts").fill(CHARTS)
        page.wait_for_timeout(8000)
        page.screenshot(path=args.out)
        browser.close()


if __name__ == "__main__":
    main()
