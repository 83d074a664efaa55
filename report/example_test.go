package report_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/gridcells/gridcells/report"
	"github.com/gridcells/gridcells/report/figure"
)

// A sweep of two encodings, two runs each, as a self-contained page.
func ExampleNewSweepReport() {
	s := &report.Sweep{
		Title:    "encodings",
		Keys:     []string{"encoding.kind"},
		DecodeCM: 10,
		Grid:     0.8,
		Conditions: []report.Condition{
			{Values: []string{"dos"}, Runs: 2, N: 2,
				FracDecode: figure.Fraction{P: 1, Lo: 0.34, Hi: 1, K: 2, N: 2},
				FracGrid:   figure.Fraction{P: 0.5, Lo: 0.09, Hi: 0.91, K: 1, N: 2},
				Scores:     []float64{0.2, 0.9, 1.1, -0.1}},
			{Values: []string{"gaussian"}, Runs: 2, N: 2,
				FracDecode: figure.Fraction{P: 1, Lo: 0.34, Hi: 1, K: 2, N: 2},
				FracGrid:   figure.Fraction{P: 0, Lo: 0, Hi: 0.66, K: 0, N: 2},
				Scores:     []float64{0.1, 0.3, 0.2, -0.3}},
		},
		ParamKeys: []string{"encoding.kind", "seed"},
		Runs: []report.SweepRun{
			{ID: "a1", Index: 0, Params: []string{"dos", "0"}, Status: "finished", DecodingErrorCM: 3, MaxScore60: 1.1, HasGrid: true},
			{ID: "b2", Index: 1, Params: []string{"dos", "1"}, Status: "finished", DecodingErrorCM: 4, MaxScore60: 0.7},
			{ID: "c3", Index: 2, Params: []string{"gaussian", "0"}, Status: "finished", DecodingErrorCM: 2, MaxScore60: 0.3},
			{ID: "d4", Index: 3, Params: []string{"gaussian", "1"}, Status: "finished", DecodingErrorCM: 5, MaxScore60: 0.2},
		},
	}
	rep, err := report.NewSweepReport(s)
	if err != nil {
		log.Fatal(err)
	}
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil { // or rep.WriteFile("report.html")
		log.Fatal(err)
	}
	for _, f := range rep.Figures {
		fmt.Println(f.Name)
	}
	fmt.Println("embedded:", strings.Count(page.String(), "data:image/png;base64,"))
	// Output:
	// fractions.png
	// survival.png
	// embedded: 2
}
