"""The local mail server's inbox in a real browser (headless Chromium): the HTML part of
a message is shown without running it, and its links, like the text's, open."""

import smtplib
from email.message import EmailMessage

from local_mail import MailServer
from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS, browser_or_skip
from tests.support.local_inbox import LocalInbox

HOSTILE = """
<p id="greeting">Hello from the HTML part</p>
<script>
  document.getElementById("greeting").textContent = "SCRIPT RAN";
  try { parent.document.title = "SCRIPT RAN"; } catch (e) {}
</script>
<img id="pixel" src="http://127.0.0.1:9/pixel.gif" onerror="document.title='SCRIPT RAN'">
<form action="http://127.0.0.1:9/steal"><input name="password"><button>Send</button></form>
<a id="verify" href="TARGET">Verify your address</a>
"""


def test_an_html_part_is_shown_inert_and_its_links_open_in_a_new_tab(
    mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    target = f"{mail_server.web_url}/api/health"  # a page that answers, on loopback
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "app@example.com", "ann@example.com", "Verify"
    mail.set_content(f"Verify: {target}")
    mail.add_alternative(HOSTILE.replace("TARGET", target), subtype="html")
    with smtplib.SMTP(mail_server.host, mail_server.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)
    [summary] = local_inbox.messages()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{mail_server.web_url}/messages/{summary['id']}")
            frame = page.frame_locator("iframe.html-part")
            greeting = frame.locator("#greeting")
            greeting.wait_for()
            assert greeting.text_content() == "Hello from the HTML part"  # no script ran
            assert "SCRIPT RAN" not in page.title()

            with context.expect_page() as opened:
                frame.locator("#verify").click()
            tab = opened.value
            tab.wait_for_load_state()
            assert tab.url == target
            assert '"ok"' in tab.content()  # out of the sandbox: a page like any other
            tab.close()

            with context.expect_page() as opened:
                page.locator("pre.text-part a").click()
            assert opened.value.url == target
        finally:
            browser.close()
