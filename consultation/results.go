package consultation

import (
	"slices"
	"sort"
	"time"
)

// OptionResult is one option's figures.
type OptionResult struct {
	Option
	// Votes is how many picked it (KindChoice), or put it first
	// (KindRanking).
	Votes int
	// Points is its ranking score (KindRanking): a proposal placed first
	// of n gets n points, second n-1, and so on; one left out gets none.
	Points int
}

// VillageResult is one village's figures, or those of the villages merged
// as OtherVillages.
type VillageResult struct {
	Village string // a village code, or OtherVillages
	Answers int
	// Subscribers is how many chats follow the village's announcements:
	// the turnout's denominator as far as the office knows it.
	Subscribers int
	// Votes is, per option code, its Votes among this village's answers.
	Votes map[string]int
}

// Results are a consultation's figures as published: per option, per
// village (villages under MinVillageAnswers merged), turnout.
type Results struct {
	Answers     int
	Subscribers int // every subscriber, of the kecamatan and of its villages
	Options     []OptionResult
	Villages    []VillageResult // by answers, most first; OtherVillages last
	// Quotes are the comments an officer marked for quoting, without any
	// name.
	Quotes []string
}

// Tally computes the results of c from its answers. subscribers counts
// subscribed chats per village code, Kecamatan for the kecamatan-wide ones.
// Answers without a village count under OtherVillages.
func Tally(c Consultation, answers []Answer, subscribers map[string]int) Results {
	r := Results{Answers: len(answers)}
	for _, n := range subscribers {
		r.Subscribers += n
	}
	index := map[string]int{}
	for i, o := range c.Options {
		index[o.Code] = i
		r.Options = append(r.Options, OptionResult{Option: o})
	}
	byVillage := map[string]*VillageResult{}
	for _, a := range answers {
		first := a.Choice
		if c.Kind == KindRanking && len(a.Ranking) > 0 {
			first = a.Ranking[0]
			for pos, code := range a.Ranking {
				if i, ok := index[code]; ok {
					r.Options[i].Points += len(c.Options) - pos
				}
			}
		}
		if i, ok := index[first]; ok {
			r.Options[i].Votes++
		}
		v := byVillage[a.Village]
		if v == nil {
			v = &VillageResult{Village: a.Village, Votes: map[string]int{}}
			byVillage[a.Village] = v
		}
		v.Answers++
		if first != "" {
			v.Votes[first]++
		}
	}
	other := VillageResult{Village: OtherVillages, Votes: map[string]int{}}
	for code, v := range byVillage {
		if code == "" || v.Answers < MinVillageAnswers {
			other.Answers += v.Answers
			other.Subscribers += subscribers[code]
			for o, n := range v.Votes {
				other.Votes[o] += n
			}
			continue
		}
		v.Subscribers = subscribers[code]
		r.Villages = append(r.Villages, *v)
	}
	sort.Slice(r.Villages, func(i, j int) bool {
		if r.Villages[i].Answers != r.Villages[j].Answers {
			return r.Villages[i].Answers > r.Villages[j].Answers
		}
		return r.Villages[i].Village < r.Villages[j].Village
	})
	if other.Answers > 0 {
		r.Villages = append(r.Villages, other)
	}
	return r
}

// Ranked is the options in the order of the result: by points for a
// ranking, by votes for a choice; ties keep the consultation's order.
func (r Results) Ranked(kind Kind) []OptionResult {
	out := slices.Clone(r.Options)
	sort.SliceStable(out, func(i, j int) bool {
		if kind == KindRanking && out[i].Points != out[j].Points {
			return out[i].Points > out[j].Points
		}
		return out[i].Votes > out[j].Votes
	})
	return out
}

// Burst is a run of answers by new identities close together: many people
// who never wrote to the office before, answering one consultation within
// minutes, is what a campaign of made-up accounts looks like. The office
// is told, and judges.
type Burst struct {
	From, To time.Time
	Answers  int
}

// Default burst rule: this many answers by new identities within the
// window.
const (
	BurstWindow    = 10 * time.Minute
	BurstThreshold = 20
)

// Bursts finds the runs of at least threshold times within window among
// times (the answer times of new identities), each run as wide as it
// grows: overlapping windows make one burst.
func Bursts(times []time.Time, window time.Duration, threshold int) []Burst {
	ts := slices.Clone(times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	var out []Burst
	start := 0
	for end := range ts {
		for ts[end].Sub(ts[start]) > window {
			start++
		}
		if end-start+1 < threshold {
			continue
		}
		if n := len(out); n > 0 && !ts[start].After(out[n-1].To) {
			out[n-1].To = ts[end]
			out[n-1].Answers = countBetween(ts, out[n-1].From, ts[end])
			continue
		}
		out = append(out, Burst{From: ts[start], To: ts[end], Answers: end - start + 1})
	}
	return out
}

func countBetween(ts []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}
