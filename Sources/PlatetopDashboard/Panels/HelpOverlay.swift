/// The `?` overlay: a centred box listing the key table.
enum HelpOverlay {
    static func draw(keymap: Keymap, size: TerminalSize, grid: inout Grid) {
        let labelWidth = min(32, keymap.bindings.map { CharacterWidth.of($0.label) }.max() ?? 0) + 2
        let textWidth = keymap.bindings.map { CharacterWidth.of($0.summary) }.max() ?? 0
        let width = min(size.columns - 2, labelWidth + textWidth + 4)
        let height = min(size.rows - 2, keymap.bindings.count + 4)
        guard width >= 10, height >= 3 else { return }
        let box = Rect(x: (size.columns - width) / 2, y: (size.rows - height) / 2, width: width, height: height)
        grid.fill(box)
        grid.box(box, title: "Keys", role: .border, titleRole: .title)
        let inner = box.inset(1)
        for (i, b) in keymap.bindings.enumerated() where i < inner.height - 2 {
            let y = inner.y + 1 + i
            grid.write(b.label, x: inner.x + 1, y: y, role: .hint, attributes: .bold,
                       clip: Rect(x: inner.x, y: y, width: min(inner.width, labelWidth), height: 1))
            grid.write(b.summary, x: inner.x + 1 + labelWidth, y: y, role: .main, clip: inner)
        }
        let footer = "Esc or ? closes"
        grid.write(footer, x: box.maxX - CharacterWidth.of(footer) - 2, y: box.maxY - 1, role: .inactive,
                   clip: Rect(x: box.x + 1, y: box.maxY - 1, width: box.width - 2, height: 1))
    }
}
