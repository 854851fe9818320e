package conversation

import (
	"time"

	"github.com/leksono/sapa/services"
)

// Step is where a chat stands in the conversation. Each step is declared
// and registered (see stepKind) in the file of its flow: menu.go, info.go,
// forms.go, complaint.go, status.go, privacy.go, staff.go.
type Step string

// State is one chat's conversation, saved after every handled message.
type State struct {
	Chat      ChatKey
	Step      Step
	Service   string                // service code of the open form
	Showing   string                // service code of the standard shown (StepInfo)
	Field     int                   // index of the field being asked
	Data      map[string]string     // answers so far, by field name
	Retries   int                   // wrong answers in a row at this step
	Editing   bool                  // answering one field from the confirmation
	Lang      string                // locale of this chat
	Draft     string                // service code while a form is unfinished
	Awaiting  string                // ticket of an officer's question asked since the citizen last wrote (see questionArrived)
	Questions []string              // tickets whose officer's question waits for this citizen's answer
	Replied   string                // ticket the previous message answered a question of (see followsAnswer)
	Listed    []string              // tickets offered by the last status list
	Offered   []string              // what a sentence named twice over, offered side by side (StepWhich)
	Files     []services.StoredFile // photos and documents of the open form
	Matter    string                // open complaint the new one may repeat
	Booking   string                // "<ticket> <service>" whose visit is being booked or changed
	Slots     []string              // keys of the visit slots offered (StepVisitSlot)
	Consult   string                // public consultation being answered: "code|village|changed" (consult.go)
	Survey    string                // ticket whose satisfaction survey is open
	SurveyQ   int                   // survey question: -1 the invitation, 0..8 the elements, 9..12 the profile, 13 the comment
	Last      string                // id of the message that produced this state
	Ticket    string                // ticket that message filed, if it filed one
	Version   int64                 // stored version; set by the store
	UpdatedAt time.Time             // when the citizen last wrote

	// SurveyKind is the kind of the case whose survey is open: a
	// complaint is not asked about requirements and cost.
	SurveyKind services.Kind

	// Handover is the number of the conversation with an officer the chat
	// is in (handover.go), 0 when none; HandoverRate the one whose rating
	// was asked and not yet answered.
	Handover     int64
	HandoverRate int64
}
