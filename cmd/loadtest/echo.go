package main

import (
	"fmt"
	"os"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// runEcho is the baseline: a bare telegram-bot-api echo bot, with the
// library's own update loop (GetUpdatesChan), no state and no storage. It
// answers each message with its text and each button press with its data,
// one update after the other, as the library's examples do. It runs as a
// child process (loadtest echo), like the bot, so both pay the same process
// and scheduling costs.
func runEcho(apiURL, token string) int {
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(token, apiURL+"/bot%s/%s")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo: getMe:", err)
		return 1
	}
	u := tgbotapi.NewUpdate(0)
	u.Timeout = 30
	for upd := range bot.GetUpdatesChan(u) {
		switch {
		case upd.Message != nil:
			_, err = bot.Send(tgbotapi.NewMessage(upd.Message.Chat.ID, upd.Message.Text))
		case upd.CallbackQuery != nil:
			_, err = bot.Send(tgbotapi.NewMessage(upd.CallbackQuery.From.ID, upd.CallbackQuery.Data))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo: send:", err)
		}
	}
	return 0
}
