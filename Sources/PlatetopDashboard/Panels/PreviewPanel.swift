import PlatetopCore

/// The frame preview: two pixels per cell with the upper half block `▀` (fg = upper pixel,
/// bg = lower pixel), xterm-256 colours (colour cube for RGB, grey ramp for grey), overlay boxes outlined.
public enum PreviewPanel {
    /// The xterm-256 index used for each overlay kind.
    public static func overlayColor(_ kind: DashboardState.Overlay.Kind) -> UInt8 {
        switch kind {
        case .roi: return 51          // cyan
        case .plate: return 46        // green
        case .watchlist: return 201   // magenta
        }
    }

    static func draw(_ preview: DashboardState.Preview?, in r: Rect, grid: inout Grid) {
        grid.box(r, title: "Preview")
        let inner = r.inset(1)
        guard !inner.isEmpty else { return }
        guard let preview, preview.image.width > 0, preview.image.height > 0 else {
            let note = "no preview"
            grid.write(note, x: inner.x + max(0, (inner.width - note.count) / 2), y: inner.y + inner.height / 2,
                       role: .inactive, clip: inner)
            return
        }
        let pixels = scaled(preview, toFit: inner.width, inner.height * 2)
        let ox = inner.x + (inner.width - pixels.width) / 2
        let oy = inner.y + (inner.height - (pixels.height + 1) / 2) / 2
        for cy in 0..<((pixels.height + 1) / 2) {
            for cx in 0..<pixels.width {
                let upper = pixels[cx, 2 * cy]
                let lower = 2 * cy + 1 < pixels.height ? pixels[cx, 2 * cy + 1] : nil
                grid.set(ox + cx, oy + cy, Cell(text: "▀", role: .main,
                                                color: CellColor(foreground: upper, background: lower)))
            }
        }
    }

    /// A small raster of xterm-256 indices.
    struct IndexRaster {
        var width: Int
        var height: Int
        var values: [UInt8]
        subscript(x: Int, y: Int) -> UInt8 {
            get { values[y * width + x] }
            set { if x >= 0, y >= 0, x < width, y < height { values[y * width + x] = newValue } }
        }
    }

    /// The image scaled (nearest neighbour, aspect kept) to fit `maxW` x `maxH` pixels, overlays drawn.
    static func scaled(_ p: DashboardState.Preview, toFit maxW: Int, _ maxH: Int) -> IndexRaster {
        let img = p.image
        let scale = min(Double(maxW) / Double(img.width), Double(maxH) / Double(img.height))
        let w = max(1, min(maxW, Int((Double(img.width) * scale).rounded(.down))))
        let h = max(1, min(maxH, Int((Double(img.height) * scale).rounded(.down))))
        var out = IndexRaster(width: w, height: h, values: Array(repeating: 16, count: w * h))
        let ch = img.channels
        img.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let sy = min(img.height - 1, Int((Double(y) + 0.5) * Double(img.height) / Double(h)))
                for x in 0..<w {
                    let sx = min(img.width - 1, Int((Double(x) + 0.5) * Double(img.width) / Double(w)))
                    let i = (sy * img.width + sx) * ch
                    if ch == 1 {
                        out.values[y * w + x] = Palette.grey256(src[i])
                    } else {
                        out.values[y * w + x] = Palette.xterm256(r: src[i], g: src[i + 1], b: src[i + 2])
                    }
                }
            }
        }
        // Overlays, mapped from frame coordinates to raster coordinates.
        let fw = Double(max(1, p.frameWidth)), fh = Double(max(1, p.frameHeight))
        for o in p.overlays {
            let color = overlayColor(o.kind)
            let x0 = Int((Double(o.rect.x) * Double(w) / fw).rounded(.down))
            let y0 = Int((Double(o.rect.y) * Double(h) / fh).rounded(.down))
            let x1 = max(x0, Int((Double(o.rect.maxX) * Double(w) / fw).rounded(.up)) - 1)
            let y1 = max(y0, Int((Double(o.rect.maxY) * Double(h) / fh).rounded(.up)) - 1)
            for x in x0...x1 { out[x, y0] = color; out[x, y1] = color }
            for y in y0...y1 { out[x0, y] = color; out[x1, y] = color }
        }
        return out
    }
}
