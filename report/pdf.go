package report

import (
	"context"
	"errors"
	"io"
)

// PDFOptions control the PDF output.
type PDFOptions struct{ FontPath string }

// WritePDF writes the report as PDF.
func WritePDF(ctx context.Context, w io.Writer, r *Report, o PDFOptions) error { return errors.New("todo") }
