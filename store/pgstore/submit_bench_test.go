package pgstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

// BenchmarkSubmitCase measures filing a case (citizen upsert, ticket,
// case and first event in one transaction) from many chats at once, as the
// bot does, with the ticket number taken from Redis beforehand:
//
//	go test ./store/pgstore -run '^$' -bench SubmitCase
func BenchmarkSubmitCase(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			s, _ := openStore(b, be)
			ctx := context.Background()
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, jakarta(b))
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					_, err := s.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
						Channel: "telegram", ChatID: fmt.Sprint(i), CitizenName: "Siti", VillageCode: "3307051001", TicketNumber: i,
						Form:          map[string]string{"nik": "3307051708900001", "nama": "Siti", "keperluan": "beasiswa"},
						SourceMessage: fmt.Sprintf("telegram:%d:1", i), SubmittedAt: at, DueAt: at.Add(72 * time.Hour)})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
