import io

from cmbot.demo import STEPS, run_demo


async def test_the_demo_plays_every_step_through_the_real_runtime():
    out = io.StringIO()
    failures = await run_demo(out)
    text = out.getvalue()
    assert failures == 0, text
    assert f"{len(STEPS)}/{len(STEPS)} steps happened as expected." in text
    assert "[discord #mod-log] cmbot: 🚩 flag #1" in text
    assert "[twitch #mychannel] cmbot: Join our Discord" in text


async def test_the_demo_reports_a_step_that_did_not_happen(monkeypatch):
    from cmbot import demo
    broken = [demo.Step("impossible", [("twitch", "ann", "viewer", "hello")],
                        lambda sent: False, "something that never happens")]
    monkeypatch.setattr(demo, "STEPS", broken)
    out = io.StringIO()
    assert await demo.run_demo(out) == 1
    assert "✗ something that never happens" in out.getvalue()
