// Package imagetest makes real pictures for tests: JPEGs that carry an EXIF
// block (the owner's name, the camera's orientation, the GPS position), as
// a phone writes them, and pictures whose header claims more pixels than
// the file holds. Nothing in it is used outside tests.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// EXIF is what JPEG writes into a picture's EXIF block; zero fields are
// left out.
type EXIF struct {
	Artist      string  // tag 0x013B, the owner's name
	Orientation int     // tag 0x0112, 1 to 8
	Latitude    float64 // GPS, degrees, south negative
	Longitude   float64 // GPS, degrees, west negative
}

// Picture is a w x h picture, its left half red and its right half blue,
// and shade changes its tone, so that different shades are different
// files and a turned picture can be told from an upright one.
func Picture(w, h int, shade uint8) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: 220, G: shade, B: 20, A: 255}
			if x >= w/2 {
				c = color.NRGBA{R: 20, G: shade, B: 220, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// JPEG encodes Picture(w, h, shade) as a JPEG and, unless exif is zero,
// puts an APP1 EXIF block right after its start marker, where cameras put
// it. It panics on an encoding error, which cannot happen with these
// arguments.
func JPEG(w, h int, shade uint8, exif EXIF) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Picture(w, h, shade), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	plain := buf.Bytes()
	if exif == (EXIF{}) {
		return plain
	}
	payload := append([]byte("Exif\x00\x00"), tiff(exif)...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, plain[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, plain[2:]...)
}

// PNGBomb is a small PNG whose header claims w x h pixels: decoding its
// header is cheap, decoding it would not be.
func PNGBomb(w, h int) []byte {
	var buf bytes.Buffer
	buf.Write([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk(&buf, "IHDR", ihdr)
	chunk(&buf, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk(&buf, "IEND", nil)
	return buf.Bytes()
}

// PNG encodes Picture(w, h, shade) as a PNG.
func PNG(w, h int, shade uint8) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, Picture(w, h, shade)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func chunk(buf *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	buf.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	buf.WriteString(typ)
	buf.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	buf.Write(n[:])
}

// entry is one 12-byte IFD entry; long values go to the data area.
type entry struct {
	tag, typ uint16
	count    uint32
	value    []byte // the value's bytes, inline when 4 or fewer
}

// tiff builds a little-endian TIFF block: IFD0 (orientation, artist, GPS
// pointer) and the GPS IFD.
func tiff(e EXIF) []byte {
	le := binary.LittleEndian
	u16 := func(v uint16) []byte { b := make([]byte, 2); le.PutUint16(b, v); return b }
	u32 := func(v uint32) []byte { b := make([]byte, 4); le.PutUint32(b, v); return b }
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	rational := func(deg float64) []byte {
		deg = math.Abs(deg)
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		s := ((deg-d)*60 - m) * 60
		var b []byte
		for _, v := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s * 1000), 1000}} {
			b = append(b, u32(v[0])...)
			b = append(b, u32(v[1])...)
		}
		return b
	}
	const (
		typeASCII    = 2
		typeShort    = 3
		typeLong     = 4
		typeRational = 5
	)
	var ifd0, gps []entry
	if e.Orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, typeShort, 1, u16(uint16(e.Orientation))})
	}
	if e.Artist != "" {
		ifd0 = append(ifd0, entry{0x013b, typeASCII, uint32(len(e.Artist) + 1), ascii(e.Artist)})
	}
	if e.Latitude != 0 || e.Longitude != 0 {
		latRef, lonRef := "N", "E"
		if e.Latitude < 0 {
			latRef = "S"
		}
		if e.Longitude < 0 {
			lonRef = "W"
		}
		gps = []entry{
			{0x0001, typeASCII, 2, ascii(latRef)},
			{0x0002, typeRational, 3, rational(e.Latitude)},
			{0x0003, typeASCII, 2, ascii(lonRef)},
			{0x0004, typeRational, 3, rational(e.Longitude)},
		}
		ifd0 = append(ifd0, entry{0x8825, typeLong, 1, nil}) // offset filled below
	}
	size := func(es []entry) int { return 2 + 12*len(es) + 4 }
	ifd0At := 8
	gpsAt := ifd0At + size(ifd0)
	dataAt := gpsAt
	if len(gps) > 0 {
		dataAt += size(gps)
	}
	var data []byte
	write := func(es []entry) []byte {
		out := u16(uint16(len(es)))
		for _, en := range es {
			v := en.value
			if en.tag == 0x8825 {
				v = u32(uint32(gpsAt))
			}
			out = append(out, u16(en.tag)...)
			out = append(out, u16(en.typ)...)
			out = append(out, u32(en.count)...)
			if len(v) <= 4 {
				out = append(out, append(v, make([]byte, 4-len(v))...)...)
				continue
			}
			out = append(out, u32(uint32(dataAt+len(data)))...)
			data = append(data, v...)
		}
		return append(out, u32(0)...) // no next IFD
	}
	block := append([]byte("II*\x00"), u32(uint32(ifd0At))...)
	block = append(block, write(ifd0)...)
	if len(gps) > 0 {
		block = append(block, write(gps)...)
	}
	return append(block, data...)
}
