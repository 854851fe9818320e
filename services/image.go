package services

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// The largest picture the bot decodes. A citizen's photo is rarely over 12
// megapixels (Telegram shrinks photos to 2560 pixels); a small file that
// claims 30000 x 30000 pixels (a "pixel bomb") would take gigabytes to
// decode, so its header is read first and it is refused.
const (
	MaxImageSide   = 10000
	MaxImagePixels = 25_000_000
)

// ErrImageTooLarge is returned (wrapped) for a picture whose header claims
// more pixels than MaxImagePixels or a side over MaxImageSide.
var ErrImageTooLarge = errors.New("picture too large to decode")

// imageConfig reads the dimensions in a picture's header without decoding
// its pixels, and checks them against the limits.
func imageConfig(data []byte, mime string) (image.Config, error) {
	var (
		cfg image.Config
		err error
	)
	switch mime {
	case MIMEJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case MIMEPNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case MIMEWebP:
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		return image.Config{}, fmt.Errorf("read picture header: %s is not a picture", mime)
	}
	if err != nil {
		return image.Config{}, fmt.Errorf("read picture header: %w", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide ||
		int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return image.Config{}, fmt.Errorf("picture of %d x %d pixels: %w", cfg.Width, cfg.Height, ErrImageTooLarge)
	}
	return cfg, nil
}

// StripImage returns a picture with nothing in it but its pixels: it is
// decoded and encoded again, which leaves behind everything a camera or an
// app writes beside them (EXIF with the place the photo was taken, the
// phone, the owner's name; XMP; comments; thumbnails). A JPEG comes back
// as a JPEG, turned upright as its EXIF orientation said; a PNG as a PNG;
// a WebP, which Go cannot write, as a JPEG. The header is read first: a
// picture over the size limits is refused (ErrImageTooLarge) before any
// pixel is decoded. It returns the new bytes and their type.
func StripImage(data []byte) ([]byte, string, error) {
	mime, ok := SniffFile(data)
	if !ok || mime == MIMEPDF {
		return nil, "", errors.New("strip picture: not a JPEG, PNG or WebP picture")
	}
	if _, err := imageConfig(data, mime); err != nil {
		return nil, "", fmt.Errorf("strip picture: %w", err)
	}
	var (
		img image.Image
		err error
	)
	switch mime {
	case MIMEJPEG:
		img, err = jpeg.Decode(bytes.NewReader(data))
	case MIMEPNG:
		img, err = png.Decode(bytes.NewReader(data))
	default:
		img, err = webp.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", fmt.Errorf("strip picture: decode: %w", err)
	}
	var out bytes.Buffer
	if mime == MIMEPNG {
		err = png.Encode(&out, img)
	} else {
		if mime == MIMEJPEG {
			img = upright(img, jpegOrientation(data))
		}
		mime = MIMEJPEG
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		return nil, "", fmt.Errorf("strip picture: encode: %w", err)
	}
	return out.Bytes(), mime, nil
}

// jpegOrientation is the EXIF orientation (1 to 8) of a JPEG, 1 when it
// has none or it cannot be read.
func jpegOrientation(data []byte) int {
	for i := 2; i+4 <= len(data) && data[i] == 0xff; {
		marker := data[i+1]
		if marker == 0xda || marker == 0xd9 { // pixels start: no EXIF after them
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first IFD of an EXIF TIFF block.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := int(order.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 1
	}
	n := int(order.Uint16(tiff[ifd:]))
	for e := 0; e < n; e++ {
		at := ifd + 2 + 12*e
		if at+12 > len(tiff) {
			return 1
		}
		if order.Uint16(tiff[at:]) == 0x0112 {
			if o := int(order.Uint16(tiff[at+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// upright turns img as EXIF orientation o says the camera held it, so the
// picture shows the right way up once the EXIF block is gone.
func upright(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			// The source pixel shown at (x, y), for each orientation.
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			dst.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return dst
}
