package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/triagekit/triage/triage/custody"
)

// HumanEvent is a custody event recorded by a person (a transfer, a
// seal, a note), told in a sentence.
type HumanEvent struct {
	Seq    int64
	Time   string // as recorded (RFC 3339 UTC)
	Actor  string
	Action string
	Text   string
}

// HumanEvents returns the custody events people recorded (transfers and
// notes, with their seals and locations), apart from the events triage
// records itself.
func (r *Report) HumanEvents() []HumanEvent {
	var out []HumanEvent
	for _, e := range r.Custody.Events {
		if e.Action != custody.ActionTransfer && e.Action != custody.ActionNote {
			continue
		}
		str := func(k string) string { return Visible(strings.TrimSpace(fmt.Sprint(orEmpty(e.Details[k])))) }
		var parts []string
		if e.Action == custody.ActionTransfer {
			parts = append(parts, fmt.Sprintf("Transferred from %s to %s", nonEmpty(str("from"), "(not recorded)"), nonEmpty(str("to"), "(not recorded)")))
			if v := str("reason"); v != "" {
				parts = append(parts, "reason: "+v)
			}
		} else if v := str("text"); v != "" {
			parts = append(parts, v)
		}
		if v := str("seal"); v != "" {
			parts = append(parts, "seal "+v)
		}
		if v := str("location"); v != "" {
			parts = append(parts, "at "+v)
		}
		if v := str("evidence"); v != "" {
			parts = append(parts, "evidence item "+v)
		}
		out = append(out, HumanEvent{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action, Text: strings.Join(parts, "; ") + "."})
	}
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// EventDetails returns the details of a custody event as labelled rows:
// keys in words ("manifest sha256" for manifest_sha256), recorded times in
// the report's one time format.
func (r *Report) EventDetails(e custody.Event) []KV {
	var out []KV
	for _, kv := range FlattenDetails(e.Details) {
		out = append(out, KV{eventLabel(kv.Key), r.dateValue(kv.Key, kv.Value)})
	}
	return out
}

func eventLabel(k string) string {
	k = strings.ReplaceAll(strings.ReplaceAll(k, "_", " "), ".", " · ")
	for _, d := range []string{"md5", "sha1", "sha256"} {
		k = strings.ReplaceAll(k, d, digestLabels[d])
	}
	return k
}

// CustodyGroup is the custody events of one evidence item, or of the case
// (events that name no evidence item), the human events apart.
type CustodyGroup struct {
	Title  string          // "Case" or "Evidence item 1 — exhibit EX-1"
	Human  []HumanEvent    // transfers, seals and notes, in log order
	Events []custody.Event // every event of the group, in log order
}

// CustodyGroups returns the custody events grouped per evidence item (by
// the event's "evidence" detail), the case's events first: events that
// name no evidence item, or one the case does not hold.
func (r *Report) CustodyGroups() []CustodyGroup {
	groups := []CustodyGroup{{Title: "Case (events that name no evidence item)"}}
	index := map[int64]int{}
	for _, e := range r.Evidence {
		title := fmt.Sprintf("Evidence item %d", e.ID)
		for _, kv := range e.Exhibit {
			if kv.Key == "Exhibit ID" {
				title += " — exhibit " + kv.Value
			}
		}
		index[e.ID] = len(groups)
		groups = append(groups, CustodyGroup{Title: title})
	}
	groupOf := func(d map[string]any) int {
		id, err := strconv.ParseInt(strings.TrimSpace(metaString(d["evidence"])), 10, 64)
		if err != nil {
			return 0
		}
		return index[id] // 0 (the case) for an item the case does not hold
	}
	human := map[int64]HumanEvent{}
	for _, h := range r.HumanEvents() {
		human[h.Seq] = h
	}
	for _, e := range r.Custody.Events {
		g := &groups[groupOf(e.Details)]
		g.Events = append(g.Events, e)
		if h, ok := human[e.Seq]; ok {
			g.Human = append(g.Human, h)
		}
	}
	return groups
}
