package sqlclass

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	if got, want := PresetNames(), []string{"none", "prestashop", "prestashop-extended"}; !slices.Equal(got, want) {
		t.Fatalf("PresetNames() = %v, want %v", got, want)
	}
	none, err := Preset("none")
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf(`Preset("none") = %v, %v; want an empty list`, none, err)
	}
	ps, err := Preset("prestashop")
	if err != nil {
		t.Fatal(err)
	}
	wantPS := []string{"cart", "cart_cart_rule", "cart_product", "connections", "connections_source",
		"connections_page", "customer", "customer_group", "customized_data", "guest", "pagenotfound",
		"page_viewed", "employee", "log"}
	if !slices.Equal(ps, wantPS) {
		t.Errorf("prestashop preset = %v", ps)
	}
	ext, err := Preset(" PrestaShop-Extended ")
	if err != nil {
		t.Fatal(err)
	}
	wantExt := append(slices.Clone(wantPS), "address", "orders", "order_detail", "order_history",
		"order_payment", "order_invoice", "order_slip", "order_carrier", "order_cart_rule",
		"stock_available", "configuration", "configuration_lang", "page")
	if !slices.Equal(ext, wantExt) {
		t.Errorf("prestashop-extended preset = %v", ext)
	}
	// Callers get copies.
	ps[0] = "changed"
	ps = append(ps, "appended")
	again, _ := Preset("prestashop")
	if again[0] != "cart" || len(again) != len(wantPS) {
		t.Error("Preset returned shared storage")
	}
	// Every preset compiles.
	for _, name := range PresetNames() {
		list, _ := Preset(name)
		if _, err := NewTableSet("ps_", list); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

func TestPresetUnknown(t *testing.T) {
	_, err := Preset("magento")
	if !errors.Is(err, ErrUnknownPreset) {
		t.Fatalf("error %v does not wrap ErrUnknownPreset", err)
	}
	for _, want := range append(PresetNames(), "magento") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
