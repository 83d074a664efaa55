package report

import (
	"fmt"
	"strconv"

	"github.com/gridcells/gridcells/report/figure"
)

// Sections that callers outside this package add to a rendered report (gridcells
// reproduce puts the paper's numbers beside a sweep's): a figure, notes and plain
// tables. Added by the reproduce engineer as a separate file so that the run and sweep
// reports themselves are unchanged.

// TableColumn is a column of a table added with AddTable.
type TableColumn struct {
	Name    string
	Numeric bool // cells sort as numbers
}

// TableCell is a cell of a table added with AddTable: the text shown and, for a numeric
// column, the value it sorts on (NaN sorts last).
type TableCell struct {
	Text  string
	Value float64
}

// AddFigure renders f and appends it to the report's figures under the file name name
// (".png"); first puts it before the existing figures.
func (r *Report) AddFigure(name, caption string, f *figure.Figure, first bool) error {
	if err := r.addFigure(name, caption, f); err != nil {
		return err
	}
	if first {
		n := len(r.Figures) - 1
		r.Figures = append([]Figure{r.Figures[n]}, r.Figures[:n]...)
		pf := r.page.Figures[n]
		r.page.Figures = append([]pageFigure{pf}, r.page.Figures[:n]...)
	}
	return nil
}

// AddNotes appends notes (plain text, escaped) to the report's list of notes.
func (r *Report) AddNotes(notes ...string) { r.page.Notes = append(r.page.Notes, notes...) }

// AddHeadline appends a name–value line to the report's headline table.
func (r *Report) AddHeadline(name, value string) {
	r.page.Headline = append(r.page.Headline, Item{name, value})
}

// AddTable adds a sortable table shown before the figures; first puts it before the
// report's other tables. Every row must have one cell per column.
func (r *Report) AddTable(id, caption string, head []TableColumn, rows [][]TableCell, first bool) error {
	t := table{ID: id, Caption: caption}
	for _, h := range head {
		t.Head = append(t.Head, column(h))
	}
	for i, row := range rows {
		if len(row) != len(head) {
			return fmt.Errorf("report: table %s row %d: %d cells for %d columns", id, i, len(row), len(head))
		}
		var cs []cell
		for j, c := range row {
			if head[j].Numeric {
				x := cell{Text: c.Text, Class: "num"}
				if c.Value == c.Value {
					x.Sort = strconv.FormatFloat(c.Value, 'g', -1, 64)
				}
				cs = append(cs, x)
				continue
			}
			cs = append(cs, cell{Text: c.Text})
		}
		t.Rows = append(t.Rows, cs)
	}
	if first {
		r.page.Tables = append([]table{t}, r.page.Tables...)
	} else {
		r.page.Tables = append(r.page.Tables, t)
	}
	return nil
}
