package sqlclass

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownPreset is wrapped by Preset for names it does not know.
var ErrUnknownPreset = errors.New("unknown table preset")

// prestashopNeverCache is PrestaShop's own never-cache table list (Db's
// query cache skips these tables): per-visitor and per-request state.
var prestashopNeverCache = []string{
	"cart", "cart_cart_rule", "cart_product", "connections",
	"connections_source", "connections_page", "customer", "customer_group",
	"customized_data", "guest", "pagenotfound", "page_viewed", "employee",
	"log",
}

// prestashopExtendedExtra is what production teams add to PrestaShop's list:
// orders, addresses, stock, configuration and page statistics.
var prestashopExtendedExtra = []string{
	"address", "orders", "order_detail", "order_history", "order_payment",
	"order_invoice", "order_slip", "order_carrier", "order_cart_rule",
	"stock_available", "configuration", "configuration_lang", "page",
	"page_viewed",
}

// presets maps preset names to their table lists (unprefixed names, for use
// with NewTableSet and the shop's table prefix).
var presets = map[string][]string{
	"none":                {},
	"prestashop":          prestashopNeverCache,
	"prestashop-extended": union(prestashopNeverCache, prestashopExtendedExtra),
}

// Preset returns a copy of the named never-cache table list: "none",
// "prestashop" (PrestaShop's own list) or "prestashop-extended" (that list
// plus orders, addresses, stock, configuration and page tables). Names are
// case-insensitive.
func Preset(name string) ([]string, error) {
	list, ok := presets[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownPreset, name,
			strings.Join(PresetNames(), ", "))
	}
	return slices.Clone(list)[:len(list):len(list)], nil
}

// PresetNames returns the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// union returns the elements of a then those of b not in a, in order.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
