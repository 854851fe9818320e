package main

import (
	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/services/imagetest"
)

// pushDocuments sends an SKTM's three documents (pengantar, KTP, KK) as one
// album over the fake Bot API: three photo updates sharing a media group,
// each answered by the bot. tag keeps one test's files apart.
func pushDocuments(srv *telegramtest.Server, chat int64, tag string) {
	ids := []string{tag + "-pengantar", tag + "-ktp", tag + "-kk"}
	for i, id := range ids {
		srv.PutFile(id, imagetest.JPEG(64, 48, uint8(30+60*i), imagetest.EXIF{}))
	}
	srv.PushAlbum(chat, chat, tag, ids, nil)
}
