BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
}

Describe 'Copy-SpliceItem' {
    It 'copies a file byte for byte and reports the method' {
        $source = Join-Path $TestDrive 'a.bin'
        [IO.File]::WriteAllBytes($source, [byte[]](1..200))
        $copy = Copy-SpliceItem -Path $source -Destination (Join-Path $TestDrive 'b.bin') -PassThru
        $copy.CopyMethod | Should -Not -BeNullOrEmpty
        (Get-FileHash $copy.FullName).Hash | Should -Be (Get-FileHash $source).Hash
    }
}
