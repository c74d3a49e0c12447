package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Colours are the Okabe–Ito palette, legible for colour-blind readers.
var (
	armColors = map[string]color.Color{
		"pgx": rgb(0x0072B2), "sql": rgb(0x009E73), "ent": rgb(0xD55E00),
		"gorm": rgb(0xE69F00), "bun": rgb(0xCC79A7), "sqlc": rgb(0x56B4E9),
	}
	otherColors = []color.Color{rgb(0xF0E442), rgb(0x000000), rgb(0x999933), rgb(0x882255)}
	armShapes   = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}}
)

func rgb(c uint32) color.Color {
	return color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 0xff}
}

// armColor returns the colour of the i'th arm of arms.
func armColor(arms []string, i int) color.Color {
	if c, ok := armColors[arms[i]]; ok {
		return c
	}
	return otherColors[i%len(otherColors)]
}

// series is one legend entry of a bar chart: a value per category.
type series struct {
	Label  string
	Color  color.Color
	Y      []float64 // bar tops; NaN for no bar
	Lo, Hi []float64 // confidence whisker; nil or NaN for none
	Base   []float64 // bar bottoms for stacking; nil for Origin
	// Origin is where unstacked bars start: 0, or 1 for ratios on a log
	// axis, where a bar grows up from 1 for slower and down for faster.
	Origin float64
}

// bars draws one series as bars centred at category index + offset, all
// in data units, so whiskers line up with their bars at any canvas size.
type bars struct {
	s             series
	offset, width float64
}

func (b *bars) bottom(i int) float64 {
	if b.s.Base == nil {
		return b.s.Origin
	}
	return b.s.Base[i]
}

// Plot implements plot.Plotter. It draws the bars only: barChart adds
// the whiskers afterwards, so a stacked bar never hides the whisker of
// the bar below it.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	outline := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	for i, y := range b.s.Y {
		if math.IsNaN(y) {
			continue
		}
		x := float64(i) + b.offset
		x0, x1 := trX(x-b.width/2), trX(x+b.width/2)
		y0, y1 := trY(b.bottom(i)), trY(y)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(b.s.Color, c.ClipPolygonY(pts))
		c.StrokeLines(outline, c.ClipLinesY(append(pts, pts[0]))...)
	}
}

// whiskers draws the confidence whiskers of a series of bars.
type whiskers struct{ b *bars }

// Plot implements plot.Plotter.
func (w whiskers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	style := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	for i, y := range w.b.s.Y {
		lo, hi, ok := w.b.interval(i)
		if math.IsNaN(y) || !ok {
			continue
		}
		x := float64(i) + w.b.offset
		xm, cap := trX(x), (trX(x+w.b.width/2)-trX(x-w.b.width/2))/4
		c.StrokeLines(style, c.ClipLinesY([]vg.Point{{X: xm, Y: trY(lo)}, {X: xm, Y: trY(hi)}})...)
		for _, e := range []float64{lo, hi} {
			c.StrokeLines(style, c.ClipLinesY([]vg.Point{{X: xm - cap, Y: trY(e)}, {X: xm + cap, Y: trY(e)}})...)
		}
	}
}

func (b *bars) interval(i int) (lo, hi float64, ok bool) {
	if b.s.Lo == nil {
		return 0, 0, false
	}
	lo, hi = b.s.Lo[i], b.s.Hi[i]
	return lo, hi, !math.IsNaN(lo) && !math.IsNaN(hi) && !math.IsInf(lo, 0) && !math.IsInf(hi, 0)
}

// DataRange implements plot.DataRanger.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = -0.5, float64(len(b.s.Y))-0.5
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for i, y := range b.s.Y {
		if math.IsNaN(y) {
			continue
		}
		ymin, ymax = math.Min(ymin, math.Min(b.bottom(i), y)), math.Max(ymax, math.Max(b.bottom(i), y))
		if lo, hi, ok := b.interval(i); ok {
			ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
		}
	}
	if math.IsInf(ymin, 1) {
		return xmin, xmax, b.s.Origin, b.s.Origin
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b *bars) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(b.s.Color, pts)
}

// newPlot returns a plot with the report's styling.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Y.Tick.Marker = niceTicks{}
	// A sans-serif face reads better at chart sizes than the default serif.
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = color.Gray{Y: 0xdd}
	p.Add(grid)
	return p
}

// barChart draws grouped bars: one group per category, one bar per
// series side by side. Series with a Base are stacked on the previous
// series instead.
func barChart(title, xLabel, yLabel string, cats []string, ss []series) *plot.Plot {
	p := newPlot(title, xLabel, yLabel)
	side := 0
	for _, s := range ss {
		if s.Base == nil {
			side++
		}
	}
	const groupWidth = 0.8
	w := groupWidth / float64(max(side, 1))
	j := -1
	var ws []plot.Plotter
	for _, s := range ss {
		if s.Base == nil {
			j++
		}
		b := &bars{s: s, width: w, offset: -groupWidth/2 + w*(float64(j)+0.5)}
		p.Add(b)
		p.Legend.Add(s.Label, b)
		ws = append(ws, whiskers{b})
	}
	p.Add(ws...)
	p.NominalX(cats...)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Min = 0
	// Leave headroom so the legend, top right, never covers a bar.
	p.Y.Max *= 1.12 + 0.06*float64(len(ss)) // Add has set it to the data's maximum
	return p
}

// ratioTicks marks a log axis of ratios: logTicks when it spans a factor
// of four or more, else evenly spaced ticks, which read well on so short
// a stretch of a log axis.
type ratioTicks struct{}

// Ticks implements plot.Ticker.
func (ratioTicks) Ticks(min, max float64) []plot.Tick {
	if max/min >= 4 {
		return logTicks{}.Ticks(min, max)
	}
	return niceTicks{}.Ticks(min, max)
}

// ratioChart draws ratios as bars from 1 on a log axis, so that 1.05× and
// 0.95× are bars of one height, and a few percent stay readable next to a
// factor of ten; the axis spans the bars and their intervals, 1 included,
// with headroom for the legend.
func ratioChart(title, xLabel, yLabel string, cats []string, ss []series) *plot.Plot {
	lo, hi := 1.0, 1.0
	for i := range ss {
		ss[i].Origin = 1
		for j, y := range ss[i].Y {
			if math.IsNaN(y) {
				continue
			}
			lo, hi = math.Min(lo, y), math.Max(hi, y)
			if l, h, ok := (&bars{s: ss[i]}).interval(j); ok && l > 0 {
				lo, hi = math.Min(lo, l), math.Max(hi, h)
			}
		}
	}
	p := barChart(title, xLabel, logLabel(yLabel), cats, ss)
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, ratioTicks{}
	span := math.Max(hi/lo, 1.1)
	p.Y.Min, p.Y.Max = lo/math.Pow(span, 0.05), hi*math.Pow(span, 0.2+0.08*float64(len(ss)))
	return p
}

// line is one legend entry of a line chart.
type line struct {
	Label  string
	Color  color.Color
	Shape  draw.GlyphDrawer
	Dashes []vg.Length // nil for a solid line
	X, Y   []float64
	Lo, Hi []float64 // confidence interval per point; NaN for none
}

// lineChart draws lines with point markers and confidence whiskers, on
// log axes if logX/logY. legendLeft puts the legend top left.
func lineChart(title, xLabel, yLabel string, ls []line, logX, logY, legendLeft bool) (*plot.Plot, error) {
	p := newPlot(title, xLabel, yLabel)
	p.Legend.Left = legendLeft
	for _, l := range ls {
		xys := make(plotter.XYs, len(l.X))
		var errs errPoints
		for i := range l.X {
			xys[i] = plotter.XY{X: l.X[i], Y: l.Y[i]}
			if !math.IsNaN(l.Lo[i]) && !math.IsInf(l.Lo[i], 0) && !math.IsInf(l.Hi[i], 0) && l.Lo[i] > 0 {
				errs = append(errs, errPoint{xys[i], l.Y[i] - l.Lo[i], l.Hi[i] - l.Y[i]})
			}
		}
		ln, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("plotting %s: %w", l.Label, err)
		}
		ln.Color, ln.Width, ln.Dashes = l.Color, vg.Points(1.5), l.Dashes
		pts.Color, pts.Shape, pts.Radius = l.Color, l.Shape, vg.Points(3.5)
		p.Add(ln, pts)
		if len(errs) > 0 {
			eb, err := plotter.NewYErrorBars(errs)
			if err != nil {
				return nil, fmt.Errorf("plotting the intervals of %s: %w", l.Label, err)
			}
			eb.Color = l.Color
			p.Add(eb)
		}
		p.Legend.Add(l.Label, ln, pts)
	}
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Label.Text = logLabel(xLabel)
	}
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		p.Y.Label.Text = logLabel(yLabel)
	}
	// Headroom for the legend, a multiplicative pad on log axes.
	ymin, ymax := p.Y.Min, p.Y.Max // the data's range, as Add set it
	if logY {
		p.Y.Min, p.Y.Max = ymin/1.3, ymax*math.Pow(ymax/ymin, 0.35)
	} else {
		p.Y.Min, p.Y.Max = 0, ymax*1.3
	}
	return p, nil
}

// logLabel marks an axis label as logarithmic: "latency (ms)" becomes
// "latency (ms, log scale)", "clients" "clients (log scale)".
func logLabel(label string) string {
	if strings.HasSuffix(label, ")") {
		return strings.TrimSuffix(label, ")") + ", log scale)"
	}
	return label + " (log scale)"
}

// shareY gives plots that are compared side by side one y range: the
// union of their own. Nil plots are skipped.
func shareY(ps ...*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		if p != nil {
			lo, hi = math.Min(lo, p.Y.Min), math.Max(hi, p.Y.Max)
		}
	}
	for _, p := range ps {
		if p != nil {
			p.Y.Min, p.Y.Max = lo, hi
		}
	}
}

type errPoint struct {
	xy     plotter.XY
	lo, hi float64
}

type errPoints []errPoint

// Len, XY and YError implement plotter.XYer and plotter.YErrorer.
func (e errPoints) Len() int                         { return len(e) }
func (e errPoints) XY(i int) (x, y float64)          { return e[i].xy.X, e[i].xy.Y }
func (e errPoints) YError(i int) (low, high float64) { return e[i].lo, e[i].hi }

// niceTicks puts 4 to 8 labelled ticks at multiples of 1, 2 or 5 times
// a power of ten, labelled with no more decimals than the step needs,
// and one unlabelled tick between each.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return []plot.Tick{{Value: min, Label: label(min, 0)}}
	}
	raw := (max - min) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if step >= raw {
			break
		}
		step = m * mag
	}
	prec := max0(-int(math.Floor(math.Log10(step))))
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: label(v, prec)})
		if mid := v + step/2; mid <= max {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
}

func max0(x int) int { return max(x, 0) }

func label(v float64, prec int) string {
	if math.Abs(v) < 1e-12 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// logTicks labels 1, 2 and 5 times each power of ten (only the powers
// of ten when the axis spans more than three decades), with unlabelled
// ticks at the other integer multiples.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	labelled := []float64{1, 2, 5}
	if max/min > 1000 {
		labelled = []float64{1}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		p := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * p
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if slices.Contains(labelled, m) {
				t.Label = label(v, max0(-int(e)))
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// figure is one chart file: a grid of plots.
type figure struct {
	Name  string // file name without extension
	Title string // alt text
	Plots [][]*plot.Plot
	W, H  vg.Length
}

// dpi makes PNGs sharp enough to read on a high-density screen.
const dpi = 144

// save writes the figure as Name.png and Name.svg in dir.
func (f figure) save(dir string) error {
	png := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.W, f.H), vgimg.UseDPI(dpi))}
	svg := vgsvg.New(f.W, f.H)
	for _, out := range []struct {
		ext string
		c   vg.CanvasWriterTo
	}{{".png", png}, {".svg", svg}} {
		f.draw(out.c)
		if err := writeTo(filepath.Join(dir, f.Name+out.ext), out.c); err != nil {
			return fmt.Errorf("writing chart %s: %w", f.Name+out.ext, err)
		}
	}
	return nil
}

func (f figure) draw(c vg.CanvasSizer) {
	dc := draw.New(c)
	// Fill the background: PNGs are transparent otherwise, unreadable
	// on a dark page.
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y}})
	rows, cols := len(f.Plots), len(f.Plots[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(18), PadY: vg.Points(18),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	canvases := plot.Align(f.Plots, tiles, dc)
	for i, row := range f.Plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

func writeTo(path string, w vg.CanvasWriterTo) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = w.WriteTo(out)
	return err
}
