package report

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var screenshots = flag.String("screenshots", "", "keep the headless-Chromium screenshots of the sweep report in this directory")

// chromium finds a Chromium (or Chrome) binary: $FLASHEMU_CHROMIUM, then
// the usual names on PATH. "" if there is none.
func chromium() string {
	if p := os.Getenv("FLASHEMU_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium on a file with extra flags, letting
// the page's scripts run first.
func runChromium(t *testing.T, bin, page string, dark bool, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	scheme := "1" // blink's PreferredColorScheme: 0 dark, 1 light
	if dark {
		scheme = "0"
	}
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--blink-settings=preferredColorScheme=" + scheme,
		"--virtual-time-budget=5000"}, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium %v: %s", args, stderr.String())
	return stdout.Bytes()
}

// TestSweepReportInChromium renders the report as a user sees it, for a
// 10-operation and a 100,000-operation sweep, in light and dark mode: the
// failure groups are in the page, the timeline script ran and drew bins,
// and the screenshot shows failure-rate bars in the scheme's colours on the
// scheme's background.
func TestSweepReportInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary found (apt-get install -y chromium, or set FLASHEMU_CHROMIUM): the sweep report is not checked in a browser")
	}
	if testing.Short() {
		t.Skip("-short: not starting a browser")
	}
	dir := t.TempDir()
	if *screenshots != "" {
		dir = *screenshots
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"ops10", 10}, {"ops100k", 100_000}} {
		t.Run(tc.name, func(t *testing.T) {
			sw := []Sweep{syntheticSweep("log_append", tc.n, 3)}
			if tc.n == 10 { // make sure a 10-op sweep fails somewhere
				sw[0].Failures = append(sw[0].Failures, Failure{ID: "log_append:4a:3", Op: 4, Error: "scripts/log_powercut.lua:58: crc mismatch at 0x40"})
				sw[0].PerOp[4].Failed++
				sw[0].Failed++
			}
			groups := groupFailures(sw[0].Failures)
			var b bytes.Buffer
			require.NoError(t, WriteHTML(&b, sw))
			if tc.n == 100_000 {
				assert.Less(t, b.Len(), 4<<20, "a 100k-operation report stays under 4 MiB")
				t.Logf("100k-operation report: %d bytes", b.Len())
			}
			page, err := filepath.Abs(filepath.Join(dir, "sweep_"+tc.name+".html"))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(page, b.Bytes(), 0o644))

			// One browser start (~5 s on a busy machine) checks the page as
			// loaded and, through a pointer moved over the middle of the
			// timeline, the tooltip with the details of the bar under it.
			hover := strings.Replace(b.String(), "</body>", hoverScript+"</body>", 1)
			hpage := strings.TrimSuffix(page, ".html") + "_hover.html"
			require.NoError(t, os.WriteFile(hpage, []byte(hover), 0o644))
			dom := string(runChromium(t, bin, hpage, false, "--window-size=1280,1400", "--dump-dom"))
			assert.Equal(t, len(groups), strings.Count(dom, `<article class="group"`), "one article per error class")
			assert.True(t, strings.Contains(dom, "flashemu sweep scripts/log_powercut.lua --only "), "replay commands")
			m := regexp.MustCompile(`data-rendered="(\d+)" data-ops="(\d+)"`).FindStringSubmatch(dom)
			require.NotNil(t, m, "the timeline script did not run")
			bins, _ := strconv.Atoi(m[1])
			assert.Positive(t, bins)
			assert.LessOrEqual(t, bins, 1000, "bins are bounded by the width, not by the operations")
			assert.Equal(t, strconv.Itoa(tc.n), m[2])
			assert.True(t, strings.Contains(dom, `<span class="sw"`), "legend drawn")
			assert.False(t, strings.Contains(dom, `<p class="tlerror">`), "the timeline script failed")
			assert.True(t, strings.Contains(dom, `<span class="range" aria-live="polite">ops 0–`+fmtThousands(tc.n-1)+" of "+fmtThousands(tc.n)), "full view at load")
			hdom := dom
			tip := regexp.MustCompile(`<div class="tip" role="tooltip"[^>]*>(.*?)</div>`).FindStringSubmatch(hdom)
			require.NotNil(t, tip, "tooltip element")
			assert.Contains(t, tip[1], "branches cut: ", "tooltip filled")
			if tc.n == 10 {
				assert.Contains(t, tip[1], "<b>operation 5</b>")
				assert.Contains(t, tip[1], "program at <b>0x")
			} else {
				assert.Regexp(t, `<b>operations [\d,]+–[\d,]+</b>`, tip[1])
				assert.Contains(t, tip[1], "addresses 0x")
			}
			// Time axis and zoom links: the big sweep only.
			if tc.n >= 1000 {
				// Simulated time on x: the script switches the axis, as the
				// select does, and times five full redraws.
				timed := strings.Replace(b.String(), "</body>", timeScript+"</body>", 1)
				tpage := strings.TrimSuffix(page, ".html") + "_time.html"
				require.NoError(t, os.WriteFile(tpage, []byte(timed), 0o644))
				tdom := string(runChromium(t, bin, tpage, false, "--dump-dom"))
				assert.Regexp(t, `<span class="range" aria-live="polite">0 ns – [\d.]+ s, ops 0–99,999 of 100,000`, tdom, "time axis")
				if m := regexp.MustCompile(`data-draw-ms-op="([\d.]+)" data-draw-ms="([\d.]+)"`).FindStringSubmatch(tdom); assert.NotNil(t, m) {
					t.Logf("100k operations: one full redraw takes %s ms (operation axis), %s ms (time axis), headless software rendering", m[1], m[2])
				}

				zoomed := string(runChromium(t, bin, page+"#sweep-0/ops=3-7", false, "--dump-dom"))
				assert.True(t, strings.Contains(zoomed, `<span class="range" aria-live="polite">ops 3–7 of `+fmtThousands(tc.n)+`</span>`), "zoomed to ops 3-7")
				assert.True(t, strings.Contains(zoomed, `data-rendered="5"`), "one bar per operation when zoomed in")
			}
			for _, dark := range []bool{false, true} {
				mode := map[bool]string{false: "light", true: "dark"}[dark]
				shot := filepath.Join(dir, "sweep_"+tc.name+"_"+mode+".png")
				runChromium(t, bin, page, dark, "--window-size=1280,1400", "--screenshot="+shot)
				img := readPNG(t, shot)
				bg := img.At(2, 2)
				r, g, bl, _ := bg.RGBA()
				lum := (r + g + bl) / 3 >> 8
				if dark {
					assert.Less(t, lum, uint32(64), "%s: dark background", mode)
				} else {
					assert.Greater(t, lum, uint32(200), "%s: light background", mode)
				}
				rate := map[bool][3]uint8{false: {0xD5, 0x5E, 0x00}, true: {0xff, 0x8a, 0x3d}}[dark]
				assert.Greater(t, countColour(img, rate), 20, "%s: failure-rate bars visible", mode)
				t.Logf("screenshot: %s", shot)
			}
		})
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// countColour counts the pixels within a small distance of c.
func countColour(img image.Image, c [3]uint8) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, c uint8) bool { d := int(v) - int(c); return d > -12 && d < 12 }

// fmtThousands formats n as the page does (en-US grouping).
func fmtThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hoverScript moves a pointer over the middle of the first timeline, as a
// user's mouse would.
const hoverScript = `<script>setTimeout(function () {
  var c = document.querySelector("figure.timeline canvas"), r = c.getBoundingClientRect();
  c.dispatchEvent(new PointerEvent("pointermove", {clientX: r.left + 92 + (r.width - 120) * 0.55, clientY: r.top + 50, bubbles: true}));
}, 0);</script>
`

// timeScript switches the first timeline to simulated time and records
// how long a full redraw takes (mean of five) in data-draw-ms.
const timeScript = `<script>setTimeout(function () {
  var f = document.querySelector("figure.timeline"), sel = f.querySelector("select.xmode");
  var c = f.querySelector("button.zreset"), t0 = performance.now(), i;
  for (i = 0; i < 5; i++) c.click();
  f.setAttribute("data-draw-ms-op", ((performance.now() - t0) / 5).toFixed(1));
  sel.value = "time"; sel.dispatchEvent(new Event("change"));
  t0 = performance.now();
  for (i = 0; i < 5; i++) c.click();
  f.setAttribute("data-draw-ms", ((performance.now() - t0) / 5).toFixed(1));
}, 0);</script>
`
