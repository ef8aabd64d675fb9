# PowerShell's own Copy-Item tests for the FileSystem provider (Upstream/FileSystem.CopyItem.ps1,
# extracted from PowerShell's repository; see its header for origin, commit and licence), run
# with Copy-Item pointing at Copy-SpliceItem: an alias, which PowerShell resolves before the
# cmdlet, set for the run and removed afterwards. They must pass as they pass for Copy-Item.
BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    # The part of an error id after the comma is the type of the command that wrote it.
    $global:CopyItemCommandType = 'SpliceModule.Commands.CopySpliceItemCommand'
    Set-Alias -Name Copy-Item -Value Copy-SpliceItem -Scope Global -Force
}

AfterAll {
    Remove-Item -LiteralPath Alias:Copy-Item -Force -ErrorAction Ignore
    Remove-Variable -Name CopyItemCommandType -Scope Global -ErrorAction Ignore
}

Describe 'Copy-Item is Copy-SpliceItem for the upstream tests' {
    It 'resolves Copy-Item to Copy-SpliceItem' {
        (Get-Command Copy-Item).ResolvedCommand.Name | Should -Be 'Copy-SpliceItem'
    }
}

. (Join-Path $PSScriptRoot 'Upstream/FileSystem.CopyItem.ps1')
