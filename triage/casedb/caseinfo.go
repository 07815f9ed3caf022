package casedb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CaseInfoKey is the key of the case header in the case's meta table.
const CaseInfoKey = "case_info"

// CaseInfo is the case header: who asked for the examination, under which
// authority, and who performs it. It is stored as JSON in the case's meta
// table. TimeZone only changes how times are displayed; every time is stored
// in UTC.
type CaseInfo struct {
	CaseNumber        string `json:"case_number,omitempty"`
	LabCaseID         string `json:"lab_case_id,omitempty"`
	Agency            string `json:"agency,omitempty"`
	RequestingOfficer string `json:"requesting_officer,omitempty"`
	Examiner          string `json:"examiner,omitempty"`
	ExaminerRole      string `json:"examiner_role,omitempty"`
	Authority         string `json:"authority,omitempty"`
	Description       string `json:"description,omitempty"`
	TimeZone          string `json:"time_zone,omitempty"`
}

// CaseField names one field of the case header: the flag that sets it, the
// label reports print, and where it lives in CaseInfo.
type CaseField struct {
	Flag  string
	Label string
	Usage string
	ptr   func(*CaseInfo) *string
}

// Get returns the field's value in ci.
func (f CaseField) Get(ci *CaseInfo) string { return *f.ptr(ci) }

// Set sets the field's value in ci.
func (f CaseField) Set(ci *CaseInfo, v string) { *f.ptr(ci) = v }

// CaseFields lists the case header fields in report order.
var CaseFields = []CaseField{
	{"case-number", "Case number", "agency case `NUMBER`", func(c *CaseInfo) *string { return &c.CaseNumber }},
	{"lab-case-id", "Lab case ID", "laboratory case `ID`", func(c *CaseInfo) *string { return &c.LabCaseID }},
	{"agency", "Agency", "requesting `AGENCY`", func(c *CaseInfo) *string { return &c.Agency }},
	{"requesting-officer", "Requesting officer", "`NAME` of the requesting officer", func(c *CaseInfo) *string { return &c.RequestingOfficer }},
	{"examiner", "Examiner", "examiner `NAME` (default $TRIAGE_EXAMINER)", func(c *CaseInfo) *string { return &c.Examiner }},
	{"examiner-role", "Examiner role", "examiner `ROLE` or title", func(c *CaseInfo) *string { return &c.ExaminerRole }},
	{"authority", "Authority", "warrant or consent `REFERENCE`", func(c *CaseInfo) *string { return &c.Authority }},
	{"description", "Description", "matter or offence `TEXT`", func(c *CaseInfo) *string { return &c.Description }},
	{"timezone", "Display time zone", "IANA time `ZONE` for display (times are stored in UTC)", func(c *CaseInfo) *string { return &c.TimeZone }},
}

// Location returns the display time zone, UTC when unset.
func (ci *CaseInfo) Location() (*time.Location, error) {
	if ci.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(ci.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: %w", ci.TimeZone, err)
	}
	return loc, nil
}

// LoadCaseInfo reads the case header; a case without one gives the zero value.
func LoadCaseInfo(ctx context.Context, c *Case) (CaseInfo, error) {
	var ci CaseInfo
	v, err := c.Meta(ctx, CaseInfoKey)
	if err != nil {
		return ci, fmt.Errorf("failed to read case header: %w", err)
	}
	if v == "" {
		return ci, nil
	}
	if err := json.Unmarshal([]byte(v), &ci); err != nil {
		return ci, fmt.Errorf("failed to read case header: %w", err)
	}
	return ci, nil
}

// SaveCaseInfo stores the case header.
func SaveCaseInfo(ctx context.Context, c *Case, ci CaseInfo) error {
	b, err := json.Marshal(ci)
	if err != nil {
		return err
	}
	if err := c.SetMeta(ctx, CaseInfoKey, string(b)); err != nil {
		return fmt.Errorf("failed to write case header: %w", err)
	}
	return nil
}

// Change is one changed field: its old and new value.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// DiffCaseInfo returns the fields that differ between a and b, keyed by flag name.
func DiffCaseInfo(a, b CaseInfo) map[string]Change {
	m := map[string]Change{}
	for _, f := range CaseFields {
		if o, n := f.Get(&a), f.Get(&b); o != n {
			m[f.Flag] = Change{o, n}
		}
	}
	return m
}

// Evidence item (exhibit) metadata keys in Evidence.Metadata.
const (
	MetaExhibitID     = "exhibit_id"
	MetaExhibitDesc   = "exhibit_description"
	MetaMake          = "exhibit_make"
	MetaModel         = "exhibit_model"
	MetaSerial        = "exhibit_serial"
	MetaReceivedAt    = "exhibit_received_at"
	MetaReceivedFrom  = "exhibit_received_from"
	MetaExhibitParent = "exhibit_parent"
)

// ExhibitField is one editable evidence item field.
type ExhibitField struct {
	Flag, Key, Label, Usage string
}

// ExhibitFields lists the evidence item fields in report order.
var ExhibitFields = []ExhibitField{
	{"exhibit", MetaExhibitID, "Exhibit ID", "exhibit `ID` (as on the physical tag)"},
	{"description", MetaExhibitDesc, "Description", "description of the item"},
	{"make", MetaMake, "Make", "manufacturer"},
	{"model", MetaModel, "Model", "model"},
	{"serial", MetaSerial, "Serial number", "serial number"},
	{"received", MetaReceivedAt, "Received", "date and time received (RFC 3339, or YYYY-MM-DD)"},
	{"received-from", MetaReceivedFrom, "Received from", "person or agency the item was received from"},
	{"parent", MetaExhibitParent, "Derived from", "exhibit the item was derived from (an image of a device)"},
}

// NormalizeReceived parses a received date given as RFC 3339 or YYYY-MM-DD
// (or YYYY-MM-DDTHH:MM in loc) and returns it in UTC RFC 3339.
func NormalizeReceived(s string, loc *time.Location) (string, error) {
	if s == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if layout == "2006-01-02" {
				return t.Format("2006-01-02"), nil
			}
			return t.UTC().Format(time.RFC3339), nil
		}
	}
	return "", fmt.Errorf("cannot read date %q: want RFC 3339 (2026-01-02T15:04:05Z) or YYYY-MM-DD", s)
}
