package legacy

// Stats is a snapshot of the population.
type Stats struct {
	Clients int `json:"clients"`
	Legacy  int `json:"legacy"`  // on Socket.IO
	OpenIM  int `json:"openim"`  // online in OpenIM
	Failed  int `json:"failed"`  // moved, not online in OpenIM
	Offline int `json:"offline"` // between stacks (a reconnect failed)
	// MovedToOpenIM and ReturnedToLegacy count moves since New.
	MovedToOpenIM    int64 `json:"movedToOpenim"`
	ReturnedToLegacy int64 `json:"returnedToLegacy"`
	// Announcements counts the notifications about this migration heard.
	Announcements int64   `json:"announcements"`
	SuccessRate   float64 `json:"successRate"`
	// Routing is the row the clients are placed by.
	Routing Routing `json:"routing"`
	// Errors counts failed reads and Redis writes (all retried); LastError
	// is the newest.
	Errors    int64  `json:"errors"`
	LastError string `json:"lastError,omitempty"`
}

// Stats returns a snapshot.
func (p *Population) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{
		Clients:          len(p.order),
		MovedToOpenIM:    p.moved.Load(),
		ReturnedToLegacy: p.returned.Load(),
		Announcements:    p.announcements.Load(),
		SuccessRate:      p.rate,
		Routing:          p.row,
		Errors:           p.errors.Load(),
		LastError:        p.lastErr,
	}
	for _, c := range p.order {
		switch c.place {
		case onLegacy:
			s.Legacy++
		case onOpenIM:
			s.OpenIM++
		case failed:
			s.Failed++
		default:
			s.Offline++
		}
	}
	return s
}

// OnOpenIM reports whether the user's client is online in OpenIM.
func (p *Population) OnOpenIM(userID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.clients[userID]
	return c != nil && c.place == onOpenIM
}
